"""``manage.py setup_demo``: load sample data, create users.

Run it after ``manage.py migrate`` (Django's auth and token tables) and ``manage.py
tortoise_migrate`` (the blog's tables).  It is idempotent: sample data goes only into
an empty blog, and the demo users get the same password and token every time.  Like
any command, it queries Tortoise with no set-up of its own: async_drf starts Tortoise
for management commands and closes its connections when ``asyncio.run`` ends.
"""

import asyncio
import itertools
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token
from tortoise.transactions import in_transaction

from blog.models import Author, Comment, Post, Tag

PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password")
# The first user's token is printed; the second owns the other half of the posts.
USERS = ["demo", "alice"]

AUTHORS = [
    ("Ada", "Writes about programming languages."),
    ("Grace", "Compilers, ships and nanoseconds."),
    ("Linus", "Kernels and version control."),
]
TAGS = ["python", "django", "async", "databases", "testing", "performance"]
TOPICS = [
    "Async views in practice",
    "Tortoise ORM from Django",
    "Pagination three ways",
    "Throttling with Redis",
    "Token or session auth?",
    "Why asyncio.gather matters",
    "Testing async APIs",
    "SQLite in WAL mode",
    "PostgreSQL and asyncpg",
    "Filtering and ordering",
]


class Command(BaseCommand):
    help = "Load the sample blog and create the demo users."

    def handle(self, *args, **options):
        users = [self.user(name) for name in USERS]  # Django's ORM (sync)
        created = asyncio.run(self.load_blog([user.pk for user in users]))  # Tortoise
        token, _ = Token.objects.get_or_create(user=users[0])

        self.stdout.write("Sample blog " + ("loaded." if created else "already present."))
        self.stdout.write(f"Users: {', '.join(USERS)}  password: {PASSWORD}")
        self.stdout.write(f"Token for {USERS[0]}: {token.key}")
        self.stdout.write(f'  curl -H "Authorization: Token {token.key}" ...')

    def user(self, username):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(PASSWORD)
        user.save()
        return user

    async def load_blog(self, owner_ids):
        """Fill an empty blog.  True if data was loaded."""
        if await Author.exists():
            return False
        async with in_transaction():
            await self.create_rows(owner_ids)
        return True

    async def create_rows(self, owner_ids):
        authors = [await Author.create(name=name, bio=bio) for name, bio in AUTHORS]
        tags = [await Tag.create(name=name) for name in TAGS]
        author_cycle = itertools.cycle(authors)
        owner_cycle = itertools.cycle(owner_ids)
        for number in range(30):
            topic = TOPICS[number % len(TOPICS)]
            post = await Post.create(
                title=f"{topic} (part {number // len(TOPICS) + 1})",
                body=f"Notes on {topic.lower()}.",
                published=number % 5 != 4,  # a few drafts
                author=next(author_cycle),
                owner_id=next(owner_cycle),
            )
            await post.tags.add(tags[number % len(tags)], tags[(number + 2) % len(tags)])
            for index in range(number % 4):
                await Comment.create(post=post, name=f"reader{index}", text=f"Nice post #{index}")
