"""A regime's standard in its pack (pack language v3, ``[[standard]]``; docs/rules.md, "Annual monitoring"): each
item is one or more comparisons of an indicator (or a sum of indicators) with a threshold, read from the text's
own threshold word as 民法典 第一千二百五十九条 reads it, over a window of years; the comparisons are the item's
alternatives (或): the item is met when any one is. Declared here, used by monitor/rules/packs.py."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Literal, Protocol

from msgspec import Meta, Struct

from monitor.errors import PackError, Said
from monitor.schema import Check, show

if TYPE_CHECKING:
    from monitor.rules.indicators import Vocabulary

#: the threshold words, as the Civil Code reads them (民法典 第一千二百五十九条: 以上、以下、以内 include the number;
#: 超过 does not); 不低于 / 不少于 are ≥ and 高于 is >, by their plain meaning
COMPARISONS: dict[str, str] = {
    "以上": ">=", "不低于": ">=", "不少于": ">=",
    "高于": ">", "超过": ">",
    "不超过": "<=", "以内": "<=", "以下": "<=",
}
Word = Literal["以上", "不低于", "不少于", "高于", "超过", "不超过", "以内", "以下"]
Window = Literal["each_year", "average_growth", "latest"]
CODES = r"^[a-z][a-z0-9_]{0,31}(\+[a-z][a-z0-9_]{0,31}){0,7}$"
Code = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class Comparison(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One comparison of a standard item ([[standard.compare]]); an item with several is met when any one is (或)."""
    indicator: Annotated[str, Meta(pattern=CODES, description=(
        "an indicator code of the vocabulary (`monitor regimes` lists them), or codes joined by + for their sum "
        "(\"champions+little_giants\": 不少于1家单项冠军企业或小巨人企业)"))]
    word: Annotated[Word, Meta(description=(
        "the text's threshold word, read as 民法典 第一千二百五十九条 reads it: 以上, 不低于, 不少于 ≥; 高于, 超过 >; "
        "不超过, 以内, 以下 ≤"))]
    threshold: Annotated[float, Meta(description="the text's number, in the indicator's unit (70 for 70%)")]
    window: Annotated[Window, Meta(description=(
        "each_year: each of 近三年 (the three calendar years before the evaluation's year); average_growth: "
        "the geometric average annual growth over them, in %; latest: the latest of those years with a value"))]
    rates: Annotated[Code | None, Meta(description=(
        "average_growth: the indicator holding each year's growth rate (e.g. patent_growth), whose geometric mean "
        "is used where the values are missing"))] = None
    reported: Annotated[Code | None, Meta(description=(
        "average_growth: the indicator holding the report's own three-year figure (e.g. leading_growth_3y), used "
        "where neither values nor rates give one, and checked against a computed one (indicator_inconsistent)"))] = None

    def problem(self) -> tuple[str, Said] | None:
        """The key and what is wrong, for a combination the types cannot refuse; else None."""
        if self.window != "average_growth" and (self.rates or self.reported):
            return "rates" if self.rates else "reported", Said("only an average_growth window reads one")
        if self.window == "average_growth" and "+" in self.indicator:
            return "indicator", Said("an average growth reads one indicator, not a sum")
        return None

    @property
    def comparison(self) -> str:
        """">=", ">" or "<=" (the JSON's and the verdict's form of the word)."""
        return COMPARISONS[self.word]

    @property
    def codes(self) -> tuple[str, ...]:
        """The indicators summed (one, most often)."""
        return tuple(self.indicator.split("+"))


class StandardItem(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One item of the regime's certification standard ([[standard]], pack language v3; see docs/rules.md,
    "Annual monitoring"): its comparisons ([[standard.compare]]) are alternatives (或), met when any one is. From the
    opening of the review window (or 12 months before the last day in force) to the review's result, an unmet item
    raises standard_unmet (risk, citing the item's article and the review's) and one with no data standard_no_data."""
    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="the item's id (lower case), unique in the pack")]
    label: Annotated[str, Meta(min_length=1, description="the text's own words (\"近三年产值均在40亿元以上\")")]
    basis: Annotated[str, Meta(min_length=1, description="the article stating it (\"附件 一\", \"第五条（二）\")")]
    reading: Annotated[Annotated[str, Meta(min_length=1)] | None, Meta(description=(
        "how the pack reads the text where it is ambiguous (shown by `monitor regimes`)"))] = None
    compare: Annotated[tuple[Comparison, ...], Meta(min_length=1, max_length=8, description=(
        "the comparisons ([[standard.compare]]), alternatives (或): the item is met when any one is"))]


def check_items(items: tuple[StandardItem, ...]) -> None:
    """Ids unique in a pack, each comparison sound (raised as "standard[N]…: …", the way a pack's own checks are)."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise Check(f"standard[{index}].id", Said("{value} is listed twice", value=show(item.id)))
        seen.add(item.id)
        for number, comparison in enumerate(item.compare):
            problem = comparison.problem()
            if problem is not None:
                raise Check(f"standard[{index}].compare[{number}].{problem[0]}", problem[1])


class Standardised(Protocol):
    """What check_standards reads of a pack (monitor.rules.packs.Pack): its file and its standard's items."""
    @property
    def source(self) -> str: ...
    @property
    def standard(self) -> tuple[StandardItem, ...]: ...


def check_standards(packs: Iterable[Standardised], vocabulary: Vocabulary) -> None:
    """Every code a standard names is an indicator of the vocabulary (and a growth's rates and reported figures are
    growth indicators): a PackError naming the pack file and the key, else nothing."""
    for pack in packs:
        for index, item in enumerate(pack.standard):
            for number, comparison in enumerate(item.compare):
                key = f"standard[{index}].compare[{number}]"
                for code in comparison.codes:
                    if code not in vocabulary:
                        raise PackError("{source}: {key}.indicator: '{code}' is not an indicator (`monitor regimes` "
                                        "lists them)", source=pack.source, key=key, code=code)
                for field, named in (("rates", comparison.rates), ("reported", comparison.reported)):
                    known = vocabulary.by_code.get(named) if named is not None else None
                    if named is not None and (known is None or known.kind != "growth"):
                        raise PackError("{source}: {key}.{field}: '{code}' is not a growth indicator",
                                        source=pack.source, key=key, field=field, code=named)
                own = vocabulary.by_code[comparison.codes[0]]
                if (comparison.window == "average_growth" and own.kind == "growth"
                        and comparison.rates != comparison.indicator):
                    raise PackError("{source}: {key}.rates: '{code}' is itself a yearly rate: set rates = '{code}' "
                                    "(its geometric mean is the average growth)", source=pack.source, key=key,
                                    code=comparison.indicator)
