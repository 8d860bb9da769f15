from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Author',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('bio', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'author', 'app': 'blog', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=50)),
            ],
            options={'table': 'tag', 'app': 'blog', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('published', fields.BooleanField(default=True)),
                ('created', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('author', fields.ForeignKeyField('blog.Author', source_field='author_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('tags', fields.ManyToManyField('blog.Tag', unique=True, db_constraint=True, through='post_tag', forward_key='tag_id', backward_key='post_id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('owner_id', fields.IntField(db_index=True)),
                ('reads', fields.IntField(default=0)),
            ],
            options={'table': 'post', 'app': 'blog', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Comment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('blog.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('text', fields.TextField(unique=False)),
                ('created', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('owner_id', fields.IntField(null=True)),
            ],
            options={'table': 'comment', 'app': 'blog', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
