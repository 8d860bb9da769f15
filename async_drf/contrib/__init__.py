"""Optional integrations with other libraries; each subpackage needs its library
installed (e.g. ``spectacular``: ``pip install async_drf[spectacular]``)."""
