"""FilterSets over Tortoise querysets: django-filter's tests/test_filtering.py and
tests/test_filterset.py, ported to Tortoise models (tests/filterset_models.py) with
their inputs and expected rows, then async_drf's own cases (async method filters,
to-many paths, exclusion, validation bodies)."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.urls import path
from django.utils import timezone
from tortoise.expressions import Subquery
from tortoise.functions import Count

from async_drf import generics, serializers
from async_drf.filters import FilterBackend, OrderingFilter
from async_drf.filtersets import (
    BaseInFilter,
    BaseRangeFilter,
    CharFilter,
    ChoiceFilter,
    DateFromToRangeFilter,
    DateTimeFromToRangeFilter,
    DurationFilter,
    FilterSet,
    IsoDateTimeFromToRangeFilter,
    ModelChoiceFilter,
    ModelMultipleChoiceFilter,
    MultipleChoiceFilter,
    NumberFilter,
    RangeFilter,
    TimeRangeFilter,
    TypedMultipleChoiceFilter,
    filterset_factory,
)
from async_drf.pagination import AsyncPageNumberPagination
from async_drf.schemas import SchemaGenerator
from async_drf.test import AsyncAPIRequestFactory

from .filterset_models import (
    STATUS_CHOICES,
    Account,
    Article,
    BankAccount,
    Book,
    Comment,
    Company,
    Location,
    Profile,
    SpacewalkRecord,
    User,
)
from .models import Author, Post, Tag

pytestmark = pytest.mark.usefixtures("tortoise_db")


async def values(queryset: Any, attr: str = "pk") -> list[Any]:
    attr = queryset.model._meta.pk_attr if attr == "pk" else attr
    return list(await queryset.values_list(attr, flat=True))


async def usernames(filterset: Any) -> list[str]:
    return sorted(await values(filterset.qs, "username"))


def now() -> datetime.datetime:
    return timezone.now()


# -- django-filter: tests/test_filtering.py ---------------------------------------------


async def test_char_filter():
    b1 = await Book.create(title="Ender's Game", price="1.00", average_rating=3.0)
    b2 = await Book.create(title="Rainbow Six", price="1.00", average_rating=3.0)
    b3 = await Book.create(title="Snowcrash", price="1.00", average_rating=3.0)

    class F(FilterSet):
        class Meta:
            model = Book
            fields = ["title"]

    assert await values(F(queryset=Book.all()).qs) == [b1.pk, b2.pk, b3.pk]
    assert await values(F({"title": "Snowcrash"}, queryset=Book.all()).qs) == [b3.pk]


async def test_integer_filter():
    b1 = await BankAccount.create(amount_saved=0, in_good_standing=True)
    b2 = await BankAccount.create(amount_saved=3, in_good_standing=True)
    b3 = await BankAccount.create(amount_saved=10, in_good_standing=True)

    class F(FilterSet):
        class Meta:
            model = BankAccount
            fields = ["amount_saved"]

    qs = BankAccount.all()
    assert await values(F(queryset=qs).qs) == [b1.pk, b2.pk, b3.pk]
    assert await values(F({"amount_saved": "10"}, queryset=qs).qs) == [b3.pk]
    assert await values(F({"amount_saved": "0"}, queryset=qs).qs) == [b1.pk]


async def test_boolean_filter():
    """django-filter's rest_framework FilterSet reads booleans as true/false."""
    await User.create(username="alex", is_active=False)
    await User.create(username="jacob", is_active=True)
    await User.create(username="aaron", is_active=False)

    class F(FilterSet):
        class Meta:
            model = User
            fields = ["is_active"]

    assert await usernames(F({"is_active": "true"}, queryset=User.all())) == ["jacob"]
    assert await usernames(F({"is_active": "false"}, queryset=User.all())) == ["aaron", "alex"]
    assert await usernames(F({"is_active": ""}, queryset=User.all())) == ["aaron", "alex", "jacob"]


@pytest.fixture
async def statuses(tortoise_db) -> None:
    users = [
        await User.create(username=name, status=status)
        for name, status in [("alex", 1), ("jacob", 2), ("aaron", 2), ("carl", 0)]
    ]
    for user in [*users, None]:
        await Article.create(author=user, published=now())


@pytest.mark.usefixtures("statuses")
async def test_choice_filter():
    class F(FilterSet):
        class Meta:
            model = User
            fields = ["status"]

    assert await usernames(F()) == ["aaron", "alex", "carl", "jacob"]
    assert await usernames(F({"status": "1"})) == ["alex"]
    assert await usernames(F({"status": "2"})) == ["aaron", "jacob"]
    assert await usernames(F({"status": "0"})) == ["carl"]
    assert await usernames(F({"status": ""})) == ["aaron", "alex", "carl", "jacob"]


@pytest.mark.usefixtures("statuses")
async def test_choice_filter_on_explicitly_defined_field():
    class F(FilterSet):
        status = ChoiceFilter(choices=STATUS_CHOICES)

        class Meta:
            model = User
            fields = ["status"]

    assert await usernames(F()) == ["aaron", "alex", "carl", "jacob"]
    assert await usernames(F({"status": "1"})) == ["alex"]
    assert await usernames(F({"status": "2"})) == ["aaron", "jacob"]
    assert await usernames(F({"status": "0"})) == ["carl"]


@pytest.mark.usefixtures("statuses")
async def test_choice_filter_on_null_choice():
    choices = [(user.pk, str(user)) for user in await User.all()]

    class F(FilterSet):
        author = ChoiceFilter(choices=choices, null_value="null", null_label="NULL")

        class Meta:
            model = Article
            fields = ["author"]

    assert await values(F({"author": "1"}).qs, "author__username") == ["alex"]
    assert await values(F({"author": "null"}).qs, "author_id") == [None]


@pytest.mark.usefixtures("statuses")
async def test_multiple_choice_filter():
    class F(FilterSet):
        status = MultipleChoiceFilter(choices=STATUS_CHOICES)

        class Meta:
            model = User
            fields = ["status"]

    qs = User.all().order_by("username")
    assert await values(F(queryset=qs).qs, "username") == ["aaron", "alex", "carl", "jacob"]
    data = QueryDict
    assert await values(F(data("status=0"), queryset=qs).qs, "username") == ["carl"]
    assert await values(F(data("status=0&status=1"), queryset=qs).qs, "username") == [
        "alex",
        "carl",
    ]
    everyone = F(data("status=0&status=1&status=2"), queryset=qs)
    assert await values(everyone.qs, "username") == ["aaron", "alex", "carl", "jacob"]


@pytest.mark.usefixtures("statuses")
async def test_multiple_choice_filter_on_null_choice():
    choices = [(user.pk, str(user)) for user in await User.all()]

    class F(FilterSet):
        author = MultipleChoiceFilter(choices=choices, null_value="null", null_label="NULL")

        class Meta:
            model = Article
            fields = ["author"]

    assert await values(F(QueryDict("author=1")).qs, "author__username") == ["alex"]
    assert await values(F(QueryDict("author=null")).qs, "author_id") == [None]
    assert await values(F(QueryDict("author=1&author=null")).qs, "author_id") == [1, None]


@pytest.mark.usefixtures("statuses")
async def test_typed_multiple_choice_filter():
    class F(FilterSet):
        status = TypedMultipleChoiceFilter(choices=STATUS_CHOICES, coerce=int)

        class Meta:
            model = User
            fields = ["status"]

    qs = User.all().order_by("username")
    assert await values(F(QueryDict("status=0"), queryset=qs).qs, "username") == ["carl"]
    two = F(QueryDict("status=0&status=1"), queryset=qs)
    assert await values(two.qs, "username") == ["alex", "carl"]


async def test_date_filter():
    today = now().date()
    last_week = today - datetime.timedelta(days=7)
    u = await User.create(username="alex")
    await Comment.create(author=u, date=today)
    c2 = await Comment.create(author=u, date=last_week)
    await Comment.create(author=u, date=today)
    c4 = await Comment.create(author=u, date=last_week)

    class F(FilterSet):
        class Meta:
            model = Comment
            fields = ["date"]

    assert await values(F({"date": str(last_week)}, queryset=Comment.all()).qs) == [c2.pk, c4.pk]


@pytest.mark.postgres  # Tortoise cannot store a time on SQLite
async def test_time_filter():
    today = now().date()
    now_time = now().time().replace(microsecond=0)
    fixed_time = (now() - datetime.timedelta(minutes=10)).time().replace(microsecond=0)
    u = await User.create(username="alex")
    await Comment.create(author=u, time=now_time, date=today)
    c2 = await Comment.create(author=u, time=fixed_time, date=today)
    await Comment.create(author=u, time=now_time, date=today)
    c4 = await Comment.create(author=u, time=fixed_time, date=today)

    class F(FilterSet):
        class Meta:
            model = Comment
            fields = ["time"]

    check_time = str(fixed_time.replace(tzinfo=None))  # as a browser sends it
    assert await values(F({"time": check_time}, queryset=Comment.all()).qs) == [c2.pk, c4.pk]


async def test_datetime_filter():
    now_dt = now().replace(microsecond=0)
    ten_min_ago = now_dt - datetime.timedelta(minutes=10)
    u = await User.create(username="alex")
    await Article.create(author=u, published=now_dt)
    a2 = await Article.create(author=u, published=ten_min_ago)
    await Article.create(author=u, published=now_dt - datetime.timedelta(days=1))

    class F(FilterSet):
        class Meta:
            model = Article
            fields = ["published"]

    assert await values(F({"published": ten_min_ago}, queryset=Article.all()).qs) == [a2.pk]
    # this is how it would come through a browser: naive, in the current time zone
    check_dt = str(timezone.make_naive(ten_min_ago, timezone.get_current_timezone()))
    assert await values(F({"published": check_dt}, queryset=Article.all()).qs) == [a2.pk]


@pytest.fixture
async def spacewalks(tortoise_db) -> list[SpacewalkRecord]:
    records = [
        ("Anatoly Solovyev", 82, 22),
        ("Michael Lopez-Alegria", 67, 40),
        ("Jerry L. Ross", 58, 32),
        ("John M. Grunsfeld", 58, 30),
        ("Richard Mastracchio", 53, 4),
    ]
    return [
        await SpacewalkRecord.create(
            astronaut=name, duration=datetime.timedelta(hours=hours, minutes=minutes)
        )
        for name, hours, minutes in records
    ]


async def test_duration_filter(spacewalks):
    class F(FilterSet):
        class Meta:
            model = SpacewalkRecord
            fields = ["duration"]

    r1 = spacewalks[0].pk
    for text in ["3 10:22:00", "P3DT10H22M", "82:22:00", "PT82H22M"]:
        assert await values(F({"duration": text}, queryset=SpacewalkRecord.all()).qs) == [r1]


async def test_duration_filter_with_single_lookup_expr_dictionary(spacewalks):
    class F(FilterSet):
        class Meta:
            model = SpacewalkRecord
            fields = {"duration": ["gt", "gte", "lt", "lte"]}

    r1, r2, r3, r4, r5 = (record.pk for record in spacewalks)
    qs = SpacewalkRecord.all().order_by("-duration")
    assert await values(F({"duration__gt": "PT58H30M"}, queryset=qs).qs) == [r1, r2, r3]
    assert await values(F({"duration__gte": "PT58H30M"}, queryset=qs).qs) == [r1, r2, r3, r4]
    assert await values(F({"duration__lt": "PT58H30M"}, queryset=qs).qs) == [r5]
    assert await values(F({"duration__lte": "PT58H30M"}, queryset=qs).qs) == [r4, r5]


async def test_duration_filter_with_multiple_lookup_exprs(spacewalks):
    class F(FilterSet):
        min_duration = DurationFilter(field_name="duration", lookup_expr="gte")
        max_duration = DurationFilter(field_name="duration", lookup_expr="lte")

        class Meta:
            model = SpacewalkRecord
            fields = "__all__"

    qs = SpacewalkRecord.all().order_by("duration")
    f = F({"min_duration": "PT55H", "max_duration": "PT60H"}, queryset=qs)
    assert await values(f.qs) == [spacewalks[3].pk, spacewalks[2].pk]


async def test_model_choice_filter():
    alex = await User.create(username="alex")
    jacob = await User.create(username="jacob")
    date = now().date()
    c1 = await Comment.create(author=jacob, date=date)
    await Comment.create(author=alex, date=date)
    c3 = await Comment.create(author=jacob, date=date)

    class F(FilterSet):
        class Meta:
            model = Comment
            fields = ["author"]

    assert await values(F({"author": jacob.pk}, queryset=Comment.all()).qs) == [c1.pk, c3.pk]


async def test_model_choice_filter_callable_queryset():
    """The queryset callable gets the request: rows outside it never match."""
    alex = await User.create(username="alex")
    jacob = await User.create(username="jacob")
    aaron = await User.create(username="aaron")
    date = now().date()
    for author in (alex, jacob, aaron):
        await Comment.create(author=author, date=date)

    def users(request: Any) -> Any:
        return User.filter(pk__lt=request.user.pk)

    class F(FilterSet):
        author = ModelChoiceFilter(field_name="author", queryset=users)

        class Meta:
            model = Comment
            fields = ["author"]

    class Request:
        user = jacob

    async def authors(pk: int) -> list[str]:
        f = F({"author": pk}, queryset=Comment.all(), request=Request)
        return await values(f.qs, "author__username")

    assert await authors(alex.pk) == ["alex"]
    assert await authors(jacob.pk) == []  # not allowed for jacob
    Request.user = aaron
    assert await authors(jacob.pk) == ["jacob"]


@pytest.fixture
async def books(tortoise_db) -> list[Book]:
    alex = await User.create(username="alex", status=1)
    await User.create(username="jacob", status=1)
    aaron = await User.create(username="aaron", status=1)
    books = [
        await Book.create(title=title, price=price, average_rating=rating)
        for title, price, rating in [
            ("Ender's Game", "1.00", 3.0),
            ("Rainbow Six", "2.00", 4.0),
            ("Snowcrash", "1.00", 4.0),
            ("Stranger in a Strage Land", "2.00", 3.0),
        ]
    ]
    await alex.favorite_books.add(books[0], books[1])
    await aaron.favorite_books.add(books[0], books[2])
    return books


@pytest.mark.parametrize("fields", [["favorite_books"], {"favorite_books": ["exact"]}])
async def test_model_multiple_choice_filter(books, fields):
    class F(FilterSet):
        class Meta:
            model = User

    F.Meta.fields = fields
    F._meta.fields = fields
    b1, b2, b3, b4 = (book.pk for book in books)
    qs = User.all().order_by("username")

    async def find(query: str) -> list[str]:
        return await values(F(QueryDict(query), queryset=qs).qs, "username")

    assert await find(f"favorite_books={b1}") == ["aaron", "alex"]
    assert await find(f"favorite_books={b1}&favorite_books={b3}") == ["aaron", "alex"]
    assert await find(f"favorite_books={b2}") == ["alex"]
    assert await find(f"favorite_books={b4}") == []


async def test_model_multiple_choice_filter_on_non_required_fields(books):
    """Selecting every author excludes the rows without one (django-filter #132)."""
    alex = await User.get(username="alex")

    class F(FilterSet):
        author = ModelMultipleChoiceFilter(queryset=User)

        class Meta:
            model = Article
            fields = ["author"]

    await Article.create(published=now(), author=alex)
    await Article.create(published=now(), author=alex)
    await Article.create(published=now())
    authors = "&".join(f"author={pk}" for pk in await values(User.all()))
    assert await values(F(QueryDict(authors)).qs, "author_id") == [alex.pk, alex.pk]


async def test_number_filter():
    for title, price in [("Ender's Game", "10.0"), ("Rainbow Six", "15.0"), ("Snowcrash", "20.0")]:
        await Book.create(title=title, price=price, average_rating=4.5)

    class F(FilterSet):
        class Meta:
            model = Book
            fields = ["price"]

    assert await values(F({"price": 10}, queryset=Book.all()).qs, "title") == ["Ender's Game"]


async def test_range_filter():
    for title, price in [
        ("Ender's Game", "10.0"),
        ("Rainbow Six", "15.0"),
        ("Snowcrash", "20.0"),
        ("Refund", "-10.0"),
        ("Free Book", "0.0"),
    ]:
        await Book.create(title=title, price=price, average_rating=4.5)

    class F(FilterSet):
        price = RangeFilter()

        class Meta:
            model = Book
            fields = ["price"]

    qs = Book.all().order_by("title")

    async def titles(data: dict[str, str] | None = None) -> list[str]:
        return await values(F(data, queryset=qs).qs, "title")

    everything = ["Ender's Game", "Free Book", "Rainbow Six", "Refund", "Snowcrash"]
    assert await titles() == everything
    assert await titles({"price_min": "5", "price_max": "15"}) == ["Ender's Game", "Rainbow Six"]
    assert await titles({"price_min": "11"}) == ["Rainbow Six", "Snowcrash"]
    assert await titles({"price_max": "19"}) == everything[:4]
    assert await titles({"price_min": "0", "price_max": "12"}) == ["Ender's Game", "Free Book"]
    assert await titles({"price_min": "-11", "price_max": "0"}) == ["Free Book", "Refund"]
    assert await titles({"price_min": "0", "price_max": "0"}) == ["Free Book"]


async def test_date_from_to_range_filter():
    adam = await User.create(username="adam")
    for day in (1, 2, 3, 3):
        await Comment.create(date=datetime.date(2016, 1, day), text="t", author=adam)

    class F(FilterSet):
        published = DateFromToRangeFilter(field_name="date")

        class Meta:
            model = Comment
            fields = ["date"]

    f = F(data={"published_after": "2016-01-02", "published_before": "2016-01-03"})
    assert await f.qs.count() == 3


@pytest.fixture
async def articles_in_january(tortoise_db) -> None:
    tz = timezone.get_current_timezone()
    for day, hour, minute in [(1, 10, 0), (2, 12, 45), (3, 18, 15), (3, 19, 30)]:
        await Article.create(published=datetime.datetime(2016, 1, day, hour, minute, tzinfo=tz))


@pytest.mark.usefixtures("articles_in_january")
@pytest.mark.parametrize(
    ("filter_class", "after", "before", "count"),
    [
        (DateFromToRangeFilter, "2016-01-02", "2016-01-03", 3),  # ignores the time
        (DateTimeFromToRangeFilter, "2016-01-02 10:00", "2016-01-03 19:00", 2),
        (
            IsoDateTimeFromToRangeFilter,
            "2016-01-02T10:00:00.000000+0000",
            "2016-01-03T19:00:00.000000+0000",
            2,
        ),
    ],
)
async def test_from_to_range_filters(filter_class, after, before, count):
    class F(FilterSet):
        published = filter_class()

        class Meta:
            model = Article
            fields = ["published"]

    f = F(data={"published_after": after, "published_before": before})
    assert await f.qs.count() == count


@pytest.mark.postgres  # Tortoise cannot store a time on SQLite
async def test_time_range_filter():
    adam = await User.create(username="adam")
    for hour, minute in [(7, 30), (8, 0), (9, 30), (11, 0)]:
        time = datetime.time(hour, minute, tzinfo=datetime.UTC)
        await Comment.create(time=time, text="t", author=adam, date=datetime.date.today())

    class F(FilterSet):
        time = TimeRangeFilter()

        class Meta:
            model = Comment
            fields = ["time"]

    assert await F(data={"time_after": "8:00", "time_before": "10:00"}).qs.count() == 2


@pytest.fixture
async def three_users(tortoise_db) -> None:
    for name in ("alex", "jacob", "aaron"):
        await User.create(username=name)


@pytest.mark.usefixtures("three_users")
async def test_filter_method():
    class F(FilterSet):
        username = CharFilter(method="filter_username")

        class Meta:
            model = User
            fields = ["username"]

        def filter_username(self, queryset: Any, name: str, value: Any) -> Any:
            return queryset.filter(**{name: value})

    assert await usernames(F()) == ["aaron", "alex", "jacob"]
    assert await usernames(F({"username": "alex"})) == ["alex"]
    assert await usernames(F({"username": "jose"})) == []


@pytest.mark.usefixtures("three_users")
async def test_filter_method_callable():
    def filter_username(queryset: Any, name: str, value: Any) -> Any:
        return queryset.filter(**{name: value})

    class F(FilterSet):
        username = CharFilter(method=filter_username)

        class Meta:
            model = User
            fields = ["username"]

    assert await usernames(F()) == ["aaron", "alex", "jacob"]
    assert await usernames(F({"username": "alex"})) == ["alex"]
    assert await usernames(F({"username": "jose"})) == []


@pytest.fixture
async def profiles(tortoise_db) -> tuple[list[Account], list[Profile]]:
    accounts = [
        await Account.create(name=f"account{i}", in_good_standing=good, friendly=friendly)
        for i, (good, friendly) in enumerate(
            [(False, False), (True, True), (True, False), (False, True)], 1
        )
    ]
    profiles = [
        await Profile.create(account=account, likes_coffee=coffee, likes_tea=tea)
        for account, (coffee, tea) in zip(
            accounts, [(True, False), (False, True), (True, True), (False, False)], strict=True
        )
    ]
    return accounts, profiles


@pytest.mark.parametrize("fields", [("account",), {"account": ["exact"]}])
async def test_o2o_relation(profiles, fields):
    accounts, profile_rows = profiles
    F = filterset_factory(Profile, fields=fields)
    assert await F().qs.count() == 4
    assert await values(F({"account": accounts[0].pk}).qs) == [profile_rows[0].pk]


async def test_reverse_o2o_relation(profiles):
    accounts, profile_rows = profiles
    F = filterset_factory(Account, fields=("profile",))
    assert await F().qs.count() == 4
    assert await values(F({"profile": profile_rows[0].pk}).qs) == [accounts[0].pk]


async def test_o2o_relation_attributes(profiles):
    _accounts, p = profiles
    F = filterset_factory(Profile, fields=("account__in_good_standing", "account__friendly"))
    assert await F().qs.count() == 4
    assert await values(F({"account__in_good_standing": "true"}).qs) == [p[1].pk, p[2].pk]
    both = F({"account__in_good_standing": "true", "account__friendly": "true"})
    assert await values(both.qs) == [p[1].pk]


async def test_reverse_o2o_relation_attributes(profiles):
    a, _profiles = profiles
    F = filterset_factory(Account, fields=("profile__likes_coffee", "profile__likes_tea"))
    assert await F().qs.count() == 4
    assert await values(F({"profile__likes_coffee": "true"}).qs) == [a[0].pk, a[2].pk]
    both = F({"profile__likes_coffee": "true", "profile__likes_tea": "true"})
    assert await values(both.qs) == [a[2].pk]


async def test_fk_relation():
    company1 = await Company.create(name="company1")
    company2 = await Company.create(name="company2")
    loc1 = await Location.create(company=company1, open_days="some", zip_code="90210")
    await Location.create(company=company2, open_days="WEEKEND", zip_code="11111")
    loc3 = await Location.create(company=company1, open_days="monday", zip_code="12345")

    F = filterset_factory(Location, fields=("company",))
    assert await F().qs.count() == 3
    assert await values(F({"company": company1.pk}).qs) == [loc1.pk, loc3.pk]


@pytest.fixture
async def comments(tortoise_db) -> Comment:
    alex = await User.create(username="alex")
    jacob = await User.create(username="jacob")
    date = now().date()
    await Comment.create(text="comment 1", author=jacob, date=date)
    comment = await Comment.create(text="comment 2", author=alex, date=date)
    await Comment.create(text="comment 3", author=jacob, date=date)
    return comment


async def test_reverse_fk_relation(comments):
    F = filterset_factory(User, fields=["comments"])
    assert await usernames(F(QueryDict(f"comments={comments.pk}"))) == ["alex"]


async def test_reverse_fk_relation_attribute(comments):
    F = filterset_factory(User, fields=["comments__text"])
    assert await usernames(F({"comments__text": "comment 2"})) == ["alex"]


async def test_fk_relation_attribute():
    alex = await User.create(username="alex")
    jacob = await User.create(username="jacob")
    await User.create(username="aaron")
    for author in (alex, jacob, alex):
        await Article.create(author=author, published=now())

    F = filterset_factory(Article, fields=["author__username"])
    assert list(F.base_filters) == ["author__username"]
    assert await F({"author__username": "alex"}).qs.count() == 2
    assert await F({"author__username": "jacob"}).qs.count() == 1


async def test_m2m_relation(books):
    F = filterset_factory(User, fields=["favorite_books"])
    b1, b2, b3, b4 = (book.pk for book in books)
    qs = User.all().order_by("username")
    assert await values(F(QueryDict(f"favorite_books={b1}"), queryset=qs).qs, "username") == [
        "aaron",
        "alex",
    ]
    assert await values(F(QueryDict(f"favorite_books={b4}"), queryset=qs).qs, "username") == []


async def test_reverse_m2m_relation(books):
    alex = await User.get(username="alex")
    F = filterset_factory(Book, fields=["lovers"])
    qs = Book.all().order_by("title")
    assert await values(F(QueryDict(f"lovers={alex.pk}"), queryset=qs).qs, "title") == [
        "Ender's Game",
        "Rainbow Six",
    ]


async def test_m2m_relation_attribute(books):
    F = filterset_factory(User, fields=["favorite_books__title"])
    qs = User.all().order_by("username")
    f = F({"favorite_books__title": "Ender's Game"}, queryset=qs)
    assert await values(f.qs, "username") == ["aaron", "alex"]
    f = F({"favorite_books__title": "Rainbow Six"}, queryset=qs)
    assert await values(f.qs, "username") == ["alex"]

    # No choices given, so filtering does nothing.
    class NoChoices(FilterSet):
        favorite_books__title = MultipleChoiceFilter()

        class Meta:
            model = User
            fields = ["favorite_books__title"]

    assert len(NoChoices().filters["favorite_books__title"].field.choices) == 0

    class WithChoices(FilterSet):
        favorite_books__title = MultipleChoiceFilter(
            choices=[(book.title, book.title) for book in books]
        )

        class Meta:
            model = User
            fields = ["favorite_books__title"]

    data = QueryDict("favorite_books__title=Ender's Game&favorite_books__title=Snowcrash")
    f = WithChoices(data, queryset=qs)
    assert f.form.is_valid()
    assert await values(f.qs, "username") == ["aaron", "alex"]


async def test_reverse_m2m_relation_attribute(books):
    F = filterset_factory(Book, fields=["lovers__username"])
    qs = Book.all().order_by("title")
    f = F({"lovers__username": "alex"}, queryset=qs)
    assert await values(f.qs, "title") == ["Ender's Game", "Rainbow Six"]
    assert await values(F({"lovers__username": "jacob"}, queryset=qs).qs, "title") == []


@pytest.fixture
async def csv_rows(tortoise_db) -> dict[str, Any]:
    users = [
        await User.create(username=name, status=status)
        for name, status in [("alex", 1), ("jacob", 2), ("aaron", 2), ("carl", 0)]
    ]
    now_dt = now().replace(microsecond=0)
    after_5pm, before_5pm = now_dt.replace(hour=18), now_dt.replace(hour=16)
    articles = [
        await Article.create(author=users[0], published=after_5pm),
        await Article.create(author=users[1], published=after_5pm),
        await Article.create(author=users[0], published=before_5pm),
        await Article.create(author=users[1], published=before_5pm),
    ]
    text = "%Y-%m-%d %H:%M:%S.%f"
    return {
        "u": [user.pk for user in users],
        "a": [article.pk for article in articles],
        "after": after_5pm.strftime(text),
        "before": before_5pm.strftime(text),
    }


class UserInFilter(FilterSet):
    class Meta:
        model = User
        fields = {"username": ["in"], "status": ["in"]}


class ArticleInFilter(FilterSet):
    class Meta:
        model = Article
        fields = {"author": ["in"], "published": ["in"]}


async def _csv_cases(filterset: Any, cases: list[tuple[Any, list[int]]]) -> None:
    queryset = filterset._meta.model.all().order_by("id")
    for params, expected in cases:
        assert await values(filterset(params, queryset=queryset).qs) == expected, params


async def test_csv_numeric_filtering(csv_rows):
    u1, u2, u3, u4 = csv_rows["u"]
    await _csv_cases(
        UserInFilter,
        [
            (None, [u1, u2, u3, u4]),
            (QueryDict("status__in=1&status__in=2"), [u2, u3]),
            ({"status__in": ""}, [u1, u2, u3, u4]),
            ({"status__in": ","}, []),
            ({"status__in": "0"}, [u4]),
            ({"status__in": "0,2"}, [u2, u3, u4]),
            ({"status__in": "0,,1"}, [u1, u4]),
            ({"status__in": "2"}, [u2, u3]),
        ],
    )


async def test_csv_string_filtering(csv_rows):
    u1, u2, u3, u4 = csv_rows["u"]
    await _csv_cases(
        UserInFilter,
        [
            (None, [u1, u2, u3, u4]),
            (QueryDict("username__in=alex&username__in=aaron"), [u3]),
            ({"username__in": ""}, [u1, u2, u3, u4]),
            ({"username__in": ","}, []),
            ({"username__in": "alex"}, [u1]),
            ({"username__in": "alex,aaron"}, [u1, u3]),
            ({"username__in": "alex,,aaron"}, [u1, u3]),
            ({"username__in": "alex,"}, [u1]),
        ],
    )


async def test_csv_datetime_filtering(csv_rows):
    a1, a2, a3, a4 = csv_rows["a"]
    after, before = csv_rows["after"], csv_rows["before"]
    await _csv_cases(
        ArticleInFilter,
        [
            (None, [a1, a2, a3, a4]),
            (QueryDict(f"published__in={after}&published__in={before}"), [a3, a4]),
            ({"published__in": ""}, [a1, a2, a3, a4]),
            ({"published__in": ","}, []),
            ({"published__in": after}, [a1, a2]),
            ({"published__in": f"{after},{before}"}, [a1, a2, a3, a4]),
            ({"published__in": f"{after},,{before}"}, [a1, a2, a3, a4]),
            ({"published__in": f"{after},"}, [a1, a2]),
        ],
    )


async def test_csv_related_filtering(csv_rows):
    a1, a2, a3, a4 = csv_rows["a"]
    u1, u2, *_ = csv_rows["u"]
    await _csv_cases(
        ArticleInFilter,
        [
            (None, [a1, a2, a3, a4]),
            (QueryDict(f"author__in={u1}&author__in={u2}"), [a2, a4]),
            ({"author__in": ""}, [a1, a2, a3, a4]),
            ({"author__in": ","}, []),
            ({"author__in": f"{u1}"}, [a1, a3]),
            ({"author__in": f"{u1},{u2}"}, [a1, a2, a3, a4]),
            ({"author__in": f"{u1},,{u2}"}, [a1, a2, a3, a4]),
            ({"author__in": f"{u1},"}, [a1, a3]),
        ],
    )


async def test_csv_range_filtering():
    u1 = await User.create(username="alex", status=1)
    u2 = await User.create(username="jacob", status=2)
    now_dt = now().replace(microsecond=0)
    after, around, before = (now_dt.replace(hour=hour) for hour in (18, 17, 16))
    for author, published in [(u1, after), (u2, around), (u1, around), (u2, before)]:
        await Article.create(author=author, published=published)
    text = "%Y-%m-%d %H:%M:%S.%f"
    after, around, before = (moment.strftime(text) for moment in (after, around, before))

    class F(FilterSet):
        class Meta:
            model = Article
            fields = {"published": ["range"]}

    assert await F().qs.count() == 4
    f = F({"published__range": ""})  # empty value is a noop
    assert f.is_valid() and await f.qs.count() == 4
    assert await F({"published__range": ","}).qs.count() == 0  # empty values are None
    assert not F({"published__range": before}).is_valid()
    assert await F({"published__range": f"{before},{around}"}).qs.count() == 3
    assert not F({"published__range": f"{before},,{after}"}).is_valid()
    assert await F({"published__range": f"{before},"}).qs.count() == 0


@pytest.fixture
async def johnsons(tortoise_db) -> None:
    for name, last_name, status in [
        ("alex", "johnson", 1),
        ("jacob", "johnson", 2),
        ("aaron", "white", 2),
        ("carl", "black", 0),
    ]:
        await User.create(username=name, last_name=last_name, status=status)


@pytest.mark.usefixtures("johnsons")
async def test_filtering_with_declared_filters():
    class F(FilterSet):
        account = CharFilter(field_name="username")

        class Meta:
            model = User
            fields = ["account"]

    f = F({"account": "jacob"}, queryset=User.all())
    assert f.filters["account"].key == "username"
    assert await usernames(f) == ["jacob"]


@pytest.mark.usefixtures("johnsons")
async def test_filtering_without_meta():
    class F(FilterSet):
        username = CharFilter()

    assert await usernames(F({"username": "alex"}, queryset=User.all())) == ["alex"]


@pytest.mark.usefixtures("johnsons")
async def test_filtering_with_multiple_filters():
    F = filterset_factory(User, fields=["status", "username"])
    assert await usernames(F({"username": "alex", "status": "1"})) == ["alex"]
    assert await usernames(F({"username": "alex", "status": "2"})) == []


@pytest.mark.usefixtures("johnsons")
async def test_filter_with_initial():
    """An initial value is a form presentation option, not a default filter value."""

    class F(FilterSet):
        status = ChoiceFilter(choices=STATUS_CHOICES, initial=1)

        class Meta:
            model = User
            fields = ["status"]

    assert await F(queryset=User.all()).qs.count() == 4
    assert await usernames(F({"status": 0}, queryset=User.all())) == ["carl"]


@pytest.mark.usefixtures("johnsons")
async def test_qs_count():
    F = filterset_factory(User, fields=["status"])
    assert await F(queryset=User.all()).qs.count() == 4
    for status, count in [("0", 1), ("1", 1), ("2", 2)]:
        f = F({"status": status}, queryset=User.all())
        assert len(await f.qs) == count
        assert await f.qs.count() == count


@pytest.mark.usefixtures("johnsons")
async def test_filtering_with_in_filters():
    class CharInFilter(BaseInFilter, CharFilter):
        pass

    class F(FilterSet):
        last_name = CharInFilter()
        username = CharInFilter()

        class Meta:
            model = User
            fields = ["last_name", "username"]

    assert await usernames(F({"last_name": "johnson"})) == ["alex", "jacob"]
    assert await usernames(F({"last_name": "johnson", "username": "carl"})) == []
    assert await usernames(F({"last_name": "johnson", "username": "jacob"})) == ["jacob"]
    f = F({"last_name": "johnson,white", "username": "jacob,carl,aaron"})
    assert await usernames(f) == ["aaron", "jacob"]


# -- django-filter: tests/test_filterset.py (class construction) ---------------------------


def test_declared_filters_are_ordered_and_inherited():
    class F(FilterSet):
        username = CharFilter()
        status = NumberFilter()

    class G(F):
        first_name = CharFilter()
        status = CharFilter()  # overrides the base class's

    assert list(F.declared_filters) == ["username", "status"]
    assert list(G.declared_filters) == ["username", "status", "first_name"]
    assert isinstance(G.declared_filters["status"], CharFilter)
    assert G.declared_filters["username"].field_name == "username"


def test_meta_fields_generate_filters():
    F = filterset_factory(User, fields={"username": ["exact", "icontains"], "status": ["gte"]})
    filters = F.base_filters
    assert list(filters) == ["username", "username__icontains", "status__gte"]
    assert type(filters["username"]).__name__ == "CharFilter"
    assert filters["username__icontains"].lookup_expr == "icontains"
    assert type(filters["status__gte"]).__name__ == "TypedChoiceFilter"


def test_meta_fields_in_and_range_lookups_make_csv_filters():
    F = filterset_factory(Book, fields={"price": ["in", "range"], "title": ["in"]})
    filters = F.base_filters
    assert type(filters["price__in"]).__name__ == "NumberInFilter"
    assert type(filters["price__range"]).__name__ == "NumberRangeFilter"
    assert type(filters["title__in"]).__name__ == "CharInFilter"
    assert isinstance(filters["price__range"], BaseRangeFilter)


def test_meta_fields_all_and_exclude():
    F = filterset_factory(Book)
    assert list(F.base_filters) == ["title", "price", "average_rating", "lovers"]

    class G(FilterSet):
        class Meta:
            model = Book
            exclude = ["price"]

    assert list(G.base_filters) == ["title", "average_rating", "lovers"]


def test_meta_fields_with_unknown_field_is_an_error():
    F = filterset_factory(User, fields=["username", "nosuch"])
    with pytest.raises(ImproperlyConfigured, match="non-model field names: nosuch"):
        F.base_filters  # noqa: B018


def test_meta_fields_may_list_declared_filters():
    class F(FilterSet):
        account = CharFilter(field_name="username")

        class Meta:
            model = User
            fields = ["account", "status"]

    assert list(F.base_filters) == ["account", "status"]


def test_meta_model_without_fields_is_an_error():
    class F(FilterSet):
        class Meta:
            model = User

    with pytest.raises(AssertionError, match="'Meta.fields' or 'Meta.exclude'"):
        F.base_filters  # noqa: B018


def test_get_filter_name():
    assert FilterSet.get_filter_name("title", "exact") == "title"
    assert FilterSet.get_filter_name("title", "icontains") == "title__icontains"
    assert FilterSet.get_filter_name("author__name", "in") == "author__name__in"


@pytest.mark.parametrize("lookup", ["search", "year", "regex", "nosuch"])
def test_meta_fields_with_unsupported_lookup_is_an_error(lookup):
    F = filterset_factory(User, fields={"username": [lookup]})
    with pytest.raises(ImproperlyConfigured, match=f"'{lookup}' is not one of"):
        F.base_filters  # noqa: B018


def test_meta_fields_lookups_are_checked_against_the_column():
    from .models import Everything

    F = filterset_factory(Everything, fields={"data": ["gt"]})
    with pytest.raises(ImproperlyConfigured, match="Everything has no 'gt' lookup for 'data'"):
        F.base_filters  # noqa: B018


def test_default_labels():
    F = filterset_factory(
        Article, fields={"author__username": ["exact", "in"], "published": ["gte", "isnull"]}
    )
    labels = {name: f.label for name, f in F.base_filters.items()}
    assert labels == {
        "author__username": "Author username",
        "author__username__in": "Author username is in",
        "published__gte": "Published is greater than or equal to",
        "published__isnull": "Published is null",
    }


# -- async_drf's own ------------------------------------------------------------------------


async def test_async_method_filter(books):
    """A ``method=`` filter may be ``async def`` (it may await a query of its own)."""

    class F(FilterSet):
        fan_of = CharFilter(method="filter_fan_of")

        class Meta:
            model = User
            fields = ["fan_of"]

        async def filter_fan_of(self, queryset: Any, name: str, value: str) -> Any:
            book_ids = await Book.filter(title__icontains=value).values_list("id", flat=True)
            fans = User.filter(favorite_books__id__in=list(book_ids)).values("id")
            return queryset.filter(id__in=Subquery(fans))

    f = F({"fan_of": "snow"})
    assert f.is_valid()
    with pytest.raises(TypeError, match="afilter_queryset"):
        f.qs  # noqa: B018
    assert await values(await f.afilter_queryset(User.all()), "username") == ["aaron"]
    # An empty value never reaches the method, as in django-filter.
    unfiltered = F({"fan_of": ""})
    assert unfiltered.is_valid()
    assert await (await unfiltered.afilter_queryset(User.all())).count() == 3


async def test_exclude_keeps_rows_whose_relation_is_null(statuses):
    """Django's exclude semantics: an article without an author is not 'by alex'."""

    class F(FilterSet):
        not_by = CharFilter(field_name="author__username", exclude=True)

    f = F({"not_by": "alex"}, queryset=Article.all())
    assert await values(f.qs, "author_id") == [2, 3, 4, None]


async def test_exclude_across_to_many(books):
    class F(FilterSet):
        not_fan_of = CharFilter(field_name="favorite_books__title", exclude=True)

    f = F({"not_fan_of": "Snowcrash"}, queryset=User.all().order_by("username"))
    assert await values(f.qs, "username") == ["alex", "jacob"]


async def test_to_many_paths_never_repeat_rows(books, queries):
    F = filterset_factory(User, fields={"favorite_books__price": ["exact", "lte"]})
    queries.reset()
    f = F({"favorite_books__price__lte": "2"}, queryset=User.all().order_by("username"))
    assert await f.qs.count() == 2  # alex has two such books: still one row
    assert await values(f.qs, "username") == ["aaron", "alex"]
    assert queries.count == 2
    assert "IN (SELECT" in queries.queries[0]


async def test_several_to_many_filters_each_match_some_related_row(books):
    """As chained ``.filter()`` calls in Django: each condition may match another book."""
    fields = {"favorite_books__title": ["exact"], "favorite_books__price": ["exact"]}
    F = filterset_factory(User, fields=fields)
    f = F({"favorite_books__title": "Snowcrash", "favorite_books__price": "2.00"})
    assert await values(f.qs, "username") == []  # aaron's 2.00 book is not Snowcrash
    f = F({"favorite_books__title": "Rainbow Six", "favorite_books__price": "1.00"})
    assert await values(f.qs, "username") == ["alex"]


async def test_isnull_on_foreign_key(statuses):
    F = filterset_factory(Article, fields={"author": ["isnull"]})
    assert await values(F({"author__isnull": "true"}).qs, "author_id") == [None]
    assert await F({"author__isnull": "false"}).qs.count() == 4


async def test_isnull_on_to_many(books):
    F = filterset_factory(User, fields={"favorite_books": ["isnull"]})
    assert await usernames(F({"favorite_books__isnull": "true"})) == ["jacob"]
    assert await usernames(F({"favorite_books__isnull": "false"})) == ["aaron", "alex"]


async def test_declared_filter_on_an_annotation(books):
    class F(FilterSet):
        min_books = NumberFilter(field_name="n_books", lookup_expr="gte")

        books = RangeFilter(field_name="n_books")

    qs = User.all().annotate(n_books=Count("favorite_books"))
    assert await usernames(F({"min_books": "2"}, queryset=qs)) == ["aaron", "alex"]
    assert await usernames(F({"books_min": "0", "books_max": "0"}, queryset=qs)) == ["jacob"]


# -- through a view: hops, queries, 400 bodies, OpenAPI, the browsable API ---------------


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "author", "tags"]


class PostFilter(FilterSet):
    title = CharFilter(lookup_expr="icontains")
    tag = CharFilter(field_name="tags__name", help_text="A tag's name.")
    editor_name = CharFilter(method="filter_editor_name")

    class Meta:
        model = Post
        fields = {"published": ["exact"], "author": ["exact", "in"], "id": ["gte", "lte"]}

    async def filter_editor_name(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(editor__name=value)


class Pages(AsyncPageNumberPagination):
    page_size = 10


class PostList(generics.AsyncListAPIView):
    queryset = Post
    serializer_class = PostSerializer
    filter_backends = [FilterBackend]
    filterset_class = PostFilter
    pagination_class = Pages


class PostListByFields(PostList):
    filterset_class = None
    filterset_fields = {"tags__name": ["exact", "in"], "author__name": ["icontains"]}


factory = AsyncAPIRequestFactory()


async def _blog(posts: int) -> None:
    ann = await Author.create(name="ann")
    bob = await Author.create(name="bob")
    py, web = await Tag.create(name="py"), await Tag.create(name="web")
    for i in range(posts):
        post = await Post.create(
            title=f"post {i}", body="", author=ann if i % 2 else bob, editor=ann
        )
        await post.tags.add(py, web)  # two matching tags: a join would repeat the row


async def _m2m_prefetch_queries(queries: Any) -> int:
    """The queries Tortoise spends fetching one m2m relation for a page of rows: two on
    Tortoise 1.1.9 (the links, then the tags), one JOIN on 1.1.0."""
    page = await Post.all().limit(2)
    queries.reset()
    await Post.fetch_for_list(page, "tags")
    return queries.count


@pytest.mark.parametrize("posts", [3, 8])
@pytest.mark.parametrize("view", [PostList, PostListByFields])
async def test_list_view_filters_with_no_hop_and_a_fixed_query_count(posts, view, hops, queries):
    await _blog(posts)
    m2m = await _m2m_prefetch_queries(queries)
    params = (
        {"tag": "py", "author__in": "1,2", "id__gte": "2", "editor_name": "ann"}
        if view is PostList
        else {"tags__name__in": "py,web", "author__name__icontains": "A"}
    )
    queries.reset()
    response = await view.as_view()(factory.get("/", params))
    assert response.status_code == 200, response.data
    expected = posts - 1 if view is PostList else posts // 2
    assert response.data["count"] == expected
    assert len({post["id"] for post in response.data["results"]}) == expected
    assert hops.count == 0, hops.calls
    assert queries.count == 2 + m2m  # count, rows, then the page's tags


async def test_list_view_bad_values_are_a_400_before_any_query(hops, queries):
    params = {"author": "ann", "id__lte": str(2**40), "published": "maybe"}
    response = await PostList.as_view()(factory.get("/", params))
    assert response.status_code == 400
    assert response.data == {
        "published": ["Must be a valid boolean."],
        "author": ["Enter a whole number."],
        "id__lte": ["Ensure this value is less than or equal to 2147483647."],
    }
    assert queries.count == 0 and hops.count == 0


async def test_list_view_schema_parameters_are_typed_from_the_columns():
    generator = SchemaGenerator(title="t", patterns=[path("posts/", PostList.as_view())])
    schema = await asyncio.to_thread(generator.get_schema, None, True)
    parameters = {p["name"]: p for p in schema["paths"]["/posts/"]["get"]["parameters"]}
    int32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
    empty = {"enum": [""]}  # an empty value is ignored
    assert parameters["published"]["schema"] == {"anyOf": [{"type": "boolean"}, empty]}
    assert parameters["author"]["schema"] == {"anyOf": [int32, empty]}
    assert parameters["author__in"] == {
        "name": "author__in",
        "required": False,
        "in": "query",
        "description": "Author is in. Multiple values may be separated by commas.",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": int32, "maxItems": 1000},
    }
    assert parameters["id__gte"]["schema"] == {"anyOf": [int32, empty]}
    assert parameters["id__gte"]["description"] == "Id is greater than or equal to"
    assert parameters["tag"]["description"] == "Tags name. A tag's name."
    text = {"type": "string", "pattern": "^[^\\x00]*$"}  # Django's CharField refuses NUL
    assert parameters["title"]["schema"] == text
    assert parameters["editor_name"]["schema"] == text


async def test_browsable_api_shows_the_filter_form():
    await _blog(2)
    request = factory.get("/", {"title": "post", "author__in": "1,2"}, HTTP_ACCEPT="text/html")
    response = await PostList.as_view()(request)
    html = response.render().content.decode()
    assert "Field filters" in html
    assert 'name="title" value="post"' in html
    assert 'name="author__in" value="1,2"' in html
    assert 'name="published"' in html and 'value="true"' in html


async def test_ordering_never_falls_back_to_every_column_through_a_view(hops):
    """With an async get_serializer_class, a column the serializer does not show
    (a secret) is not an ordering key: no oracle on it."""
    author = await Author.create(name="ann")
    for title, body in [("a", "3"), ("b", "1"), ("c", "2")]:
        await Post.create(title=title, body=body, author=author)

    class Secretive(generics.AsyncListAPIView):
        queryset = Post
        filter_backends = [OrderingFilter]
        pagination_class = None

        async def get_serializer_class(self) -> Any:
            return PostSerializer

    response = await Secretive.as_view()(factory.get("/", {"ordering": "body"}))
    assert [post["title"] for post in response.data] == ["a", "b", "c"]
    response = await Secretive.as_view()(factory.get("/", {"ordering": "-title"}))
    assert [post["title"] for post in response.data] == ["c", "b", "a"]
    assert hops.count == 0


def test_a_model_tortoise_has_not_initialised_is_a_clear_error():
    from tortoise import fields as tortoise_fields
    from tortoise.models import Model

    class Unregistered(Model):
        id = tortoise_fields.IntField(primary_key=True)
        name = tortoise_fields.CharField(max_length=10)

    F = filterset_factory(Unregistered, fields=["name"])
    with pytest.raises(AssertionError, match="Unregistered is not initialised: call Tortoise.init"):
        F.base_filters  # noqa: B018


@pytest.mark.parametrize(
    ("fields", "data", "errors"),
    [
        (
            {"id": ["in"]},
            {"id__in": ",".join(["1"] * 1001)},
            {"id__in": ["Ensure this value has at most 1000 items."]},
        ),
        ({"id": ["in"]}, {"id__in": "1,x"}, {"id__in": ["Enter a whole number."]}),
        (
            {"id": ["range"]},
            {"id__range": "1,2,3"},
            {"id__range": ["Range query expects two values."]},
        ),
        (
            {"duration": ["gte"]},
            {"duration__gte": "999999999 00:00:00"},
            {
                "duration__gte": [
                    "Ensure this value is less than or equal to 106751991 days, 4:00:54.775807."
                ]
            },
        ),
    ],
)
async def test_values_a_database_cannot_bind_are_a_400(fields, data, errors):
    model = SpacewalkRecord if "duration" in fields else User
    f = filterset_factory(model, fields=fields)(data)
    assert not f.is_valid()
    assert {
        name: [str(message) for message in messages] for name, messages in f.errors.items()
    } == errors
