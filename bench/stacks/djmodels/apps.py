from django.apps import AppConfig


class DjModelsConfig(AppConfig):
    name = "bench.stacks.djmodels"
    label = "djmodels"
