"""Suggestions on an article: what a curator may cite in it, found in its text, each with its exact span and a
proposal that pre-fills the form of the record it would create or cite: known entities' names, dates (relative
ones worked out from the dateline), figures, and quoted speech with candidate speakers. Nothing is proposed or
written: the curator accepts or dismisses each one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schemas.suggestions import SUGGESTION_KINDS

from .dates import Anchor, DateFinder, DateReading, resolve_anchor
from .entities import Mention, NameIndex, name_index
from .figures import FigureReading, find_figures
from .quotations import QuotationFinder, QuotationReading
from .spans import Sentences, fold_text, paragraphs

__all__ = ["ArticleMetadata", "NameIndex", "name_index", "suggest", "SUGGESTION_KINDS"]


@dataclass(frozen=True)
class ArticleMetadata:
    """What the suggestions read besides the text: the dateline as printed, the publication date (null when
    unknown), the time zone of its calendar where known, and the source id its citations name, if it has one."""

    dateline: str | None = None
    published_on: date | None = None
    time_zone: str | None = None
    source: str | None = None


def suggest(text: str, metadata: ArticleMetadata, names: NameIndex) -> dict:
    """The suggestions on an article, in the order of the text, with the anchor its relative dates count from."""
    sentences = Sentences(text)
    lines = paragraphs(text)
    anchor = resolve_anchor(metadata.dateline, metadata.published_on)
    article = f"the article {metadata.source}" if metadata.source else "the article"
    mentions = names.mentions(fold_text(text))
    dates = DateFinder(text, anchor, sentences, article).readings()
    taken = bytearray(len(text))
    for reading in dates:
        taken[reading.start : reading.end] = b"\x01" * (reading.end - reading.start)
    figures = find_figures(text, taken)
    quotations = QuotationFinder(text, mentions, sentences, lines).readings()

    def citation(start: int, end: int) -> dict:
        return {"source": metadata.source, "quote": text[start:end], "start": start, "end": end}

    suggestions = [
        *(_entity(text, mention, citation) for mention in mentions),
        *(_date(text, reading, metadata, sentences, citation) for reading in dates),
        *(_figure(text, reading, sentences, citation) for reading in figures),
        *(_quotation(text, reading, citation) for reading in quotations),
    ]
    suggestions.sort(key=lambda s: (s["start"], s["end"], SUGGESTION_KINDS.index(s["kind"]), s["form"]["label"]))
    return {
        "anchor": _anchor(anchor),
        "counts": {kind: sum(1 for s in suggestions if s["kind"] == kind) for kind in SUGGESTION_KINDS},
        "suggestions": suggestions,
    }


def _anchor(anchor: Anchor | None) -> dict | None:
    if anchor is None:
        return None
    return {"date": anchor.day.isoformat(), "words": anchor.words, "note": anchor.note}


def _form(kind: str, action: str, record_id: str | None, label: str) -> dict:
    return {"kind": kind, "action": action, "id": record_id, "label": label}


def _suggestion(text: str, kind: str, start: int, end: int, form: dict, proposal: dict, **extra) -> dict:
    return {
        "kind": kind,
        "start": start,
        "end": end,
        "text": text[start:end],
        "form": form,
        "proposal": proposal,
        "candidates": extra.get("candidates", []),
        "note": extra.get("note"),
    }


def _entity(text: str, mention: Mention, citation) -> dict:
    form = _form("entity", "update", mention.entity, mention.entity_name)
    note = None
    if text[mention.start : mention.end] != mention.entity_name:
        note = f"'{text[mention.start : mention.end]}' names {mention.entity_name} ({mention.entity_kind})."
    proposal = {"citations": [citation(mention.start, mention.end)]}
    return _suggestion(text, "entity", mention.start, mention.end, form, proposal, note=note)


def _date(text: str, reading: DateReading, metadata: ArticleMetadata, sentences: Sentences, citation) -> dict:
    proposal = {
        "date_earliest": reading.earliest.isoformat(),
        "date_latest": reading.latest.isoformat(),
        "date_precision": reading.precision,
        "date_derivation": reading.derivation,
        "time_zone": metadata.time_zone,
        "citations": [citation(*sentences.around(reading.start, reading.end))],
    }
    label = "a date: " + (
        reading.earliest.isoformat()
        if reading.earliest == reading.latest
        else f"{reading.earliest.isoformat()}..{reading.latest.isoformat()}"
    )
    note = "Dates an event (occurred_on) or a statement (said_on): both take these fields."
    return _suggestion(
        text, "date", reading.start, reading.end, _form("event", "create", None, label), proposal, note=note
    )


def _figure(text: str, reading: FigureReading, sentences: Sentences, citation) -> dict:
    proposal: dict = {
        "value_kind": reading.value_kind,
        "value": reading.value,
        "value_max": reading.value_max,
        "unit": reading.unit,
        "as_stated": text[reading.start : reading.end],
        "approximate": reading.approximate,
    }
    if reading.metric:
        proposal["metric"] = reading.metric
    proposal["citations"] = [citation(*sentences.around(reading.start, reading.end))]
    label = f"a figure: {reading.metric or reading.unit}"
    return _suggestion(
        text, "figure", reading.start, reading.end, _form("figure", "create", None, label), proposal, note=reading.note
    )


def _quotation(text: str, reading: QuotationReading, citation) -> dict:
    top = reading.candidates[0] if reading.candidates else None
    chain = []
    if top is None:
        attribution, note = "unknown", "No speaker is named near the quotation."
    elif top.basis in ("named", "according_to"):
        attribution, note = "direct", None
    elif top.basis == "quoted_as_saying":
        attribution = "reported"
        relay = reading.relay
        note = f"'{reading.cue}': the words reach the article through " + (relay.as_written if relay else "a relay")
        note += "." if top.entity else "; the speaker is not a known entity."
        if relay is not None and relay.entity:
            chain = [{"relay": relay.entity, "attribution": "direct", "note": f"'{reading.cue}'"}]
    else:
        attribution = "ambiguous"
        note = {
            "pronoun": f"'{top.as_written}' read as the last person named before it, {top.entity_name}.",
            "previous_quotation": f"No attribution in its sentence: read as the speaker of the quotation before it, "
            f"{top.entity_name}.",
            "mentioned": f"No attribution in its sentence: {top.entity_name} is named in it.",
        }[top.basis]
    proposal = {
        "speaker": top.entity if top else None,
        "speaker_as_written": top.as_written if top else None,
        "quote": text[reading.start : reading.end],
        "attribution": attribution,
        "attribution_note": note,
        "attribution_chain": chain,
        "citations": [citation(*reading.passage)],
    }
    candidates = [
        {
            "entity": candidate.entity,
            "name": candidate.entity_name,
            "as_written": candidate.as_written,
            "start": candidate.start,
            "end": candidate.end,
            "basis": candidate.basis,
        }
        for candidate in reading.candidates
    ]
    label = f"a statement: {top.entity_name or top.as_written}" if top else "a statement"
    form = _form("statement", "create", None, label)
    return _suggestion(text, "quotation", reading.start, reading.end, form, proposal, candidates=candidates, note=note)
