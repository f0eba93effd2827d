"""Quoted speech in an article, with who may have said it: the quotations, and for each the speakers its
sentence names ("said X", "X said", "according to X", "quoted X as saying"), a pronoun read as the last person
named before it, and weaker candidates, ranked."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from schemas.limits import MAX_TEXT_LENGTH
from schemas.suggestions import CANDIDATE_BASES

from .entities import Mention
from .spans import MARGIN, Sentences

SPEECH_VERBS = (
    "said|says|say|told|tells|added|adds|explained|explains|stated|states|noted|notes|warned|warns|insisted|insists|"
    "argued|argues|asserted|asserts|declared|declares|tweeted|tweets|wrote|writes|urged|urges|pointed out|points out|"
    "replied|replies|remarked|remarks|acknowledged|announced|announces|commented|continued|saying|asked|asks"
)
SPEECH = re.compile(rf"\b(?:{SPEECH_VERBS})\b")
ADVERBS = r"(?:(?:also|then|later|had|has|have|was|once|again|reportedly|previously|further)\s+)*"
# After a quotation: "..., X said", "... X told reporters"; or "..., said X".
SUBJECT_THEN_VERB = re.compile(
    rf"[\s,;:.!?\u2014\u2013-]*(?P<subject>[^\s,;:.!?\"“”][^,;:.!?\"“”]{{0,59}}?)\s+{ADVERBS}(?P<verb>{SPEECH_VERBS})\b"
)
VERB_THEN_SUBJECT = re.compile(rf"[\s,;:\u2014\u2013-]*(?P<verb>{SPEECH_VERBS})\s+(?=\S)")
ACCORDING_TO = re.compile(r"\baccording to\s+", re.IGNORECASE)
QUOTED_AS_SAYING = re.compile(r"\bquoted\s+(?P<whom>[^,;:.!?\"“”]{1,60}?)\s+as\s+saying\b")
# What may stand between a subject and its verb: a parenthesis between commas, auxiliaries and adverbs.
BETWEEN_SUBJECT_AND_VERB = re.compile(rf"(?:\s*,[^.;:!?]{{0,80}}?,)?\s*{ADVERBS}")
PERSONAL = {"he", "she"}
# The words that open a sentence and name its subject: "US Secretary of State Rex Tillerson".
CAPITALISED_PHRASE = re.compile(r"(?:(?:[A-Z][\w.'’-]*|of|the)\s+)*[A-Z][\w.'’-]*")
SPEAKING_KINDS = ("person", "organization", "country")


@dataclass(frozen=True)
class Candidate:
    """Someone who may have said a quotation, as the text names them at `text[start:end]`."""

    entity: str | None
    entity_name: str | None
    as_written: str
    start: int
    end: int
    basis: str
    distance: int

    def rank(self) -> tuple[int, int, int]:
        """Stronger first: a speech verb's subject, "according to" and "quoted ... as saying" alike, then a pronoun,
        then weaker readings; a known entity before words alone; the nearer first."""
        strength = 0 if self.basis in ("according_to", "quoted_as_saying") else CANDIDATE_BASES.index(self.basis)
        return strength, self.entity is None, self.distance


@dataclass
class QuotationReading:
    """A quotation: the marks at `opening` and `closing`, the words at `text[start:end]`, the passage that cites it
    with its attribution, and its candidate speakers, best first."""

    opening: int
    closing: int
    start: int
    end: int
    passage: tuple[int, int]
    candidates: list[Candidate] = field(default_factory=list)
    relay: Candidate | None = None
    cue: str | None = None


def quotation_marks(text: str, paragraphs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (opening, closing) marks of the text's quotations: double quotation marks, straight or curly, and single
    ones that open at a word's start and close at a word's end; never across a paragraph (an unclosed one is left
    out)."""
    found = []
    for first, last in paragraphs:
        double: int | None = None
        single: int | None = None
        for index in range(first, last):
            char = text[index]
            if char in '"“”':
                single = None
                if double is None:
                    double = index if char != "”" else None
                elif char == "“":
                    double = index
                else:
                    found.append((double, index))
                    double = None
            elif double is None and char in "'‘’":
                before = text[index - 1] if index > first else " "
                after = text[index + 1] if index + 1 < last else " "
                if single is None:
                    if char != "’" and not before.isalnum() and after.isalnum():
                        single = index
                elif char != "‘" and not after.isalnum() and (before.isalnum() or before in ".!?"):
                    if index - single <= 200:
                        found.append((single, index))
                    single = None
    return sorted(found)


class QuotationFinder:
    """Finds the quotations of one text and their candidate speakers among the entities it mentions."""

    def __init__(self, text: str, mentions: list[Mention], sentences: Sentences, paragraphs: list[tuple[int, int]]):
        self.text, self.sentences, self.paragraphs = text, sentences, paragraphs
        self.marks = quotation_marks(text, paragraphs)
        masked = list(text)
        for opening, closing in self.marks:
            masked[opening : closing + 1] = " " * (closing + 1 - opening)
        # The text with every quotation blanked out: cues and subjects are looked for outside the quoted words.
        self.masked = "".join(masked)
        self.mentions = [mention for mention in mentions if not self.masked[mention.start : mention.end].isspace()]
        self._starts = [mention.start for mention in self.mentions]
        self._paragraph_starts = [start for start, _ in paragraphs]
        self._ends = {mention.end: mention for mention in self.mentions}

    def readings(self) -> list[QuotationReading]:
        readings: list[QuotationReading] = []
        for opening, closing in self.marks:
            start, end = opening + 1, closing
            while start < end and self.text[start].isspace():
                start += 1
            # The sentence's punctuation inside the closing mark is not the speaker's ('... settlement," Lavrov
            # said'; '... as well."'), as the curated quotes have it; '!' and '?' are.
            while end > start and self.text[end - 1] in ",;: \t\n":
                end -= 1
            if end - start > 1 and self.text[end - 1] == "." and self.text[end - 2] != ".":
                end -= 1
            if end - start < 2 or end - start > MAX_TEXT_LENGTH - 2 * MARGIN:
                continue  # a mark and its neighbour, or marks that do not pair: no statement or citation holds either
            reading = QuotationReading(opening, closing, start, end, self.sentences.around(opening, closing + 1))
            self._attribute(reading, readings[-1] if readings else None)
            readings.append(reading)
        return readings

    def _attribute(self, reading: QuotationReading, previous: QuotationReading | None) -> None:
        first, last = reading.passage
        found: list[Candidate] = []
        after, before = reading.closing + 1, reading.opening
        self._according_to(reading, first, last, found)
        quoted = QUOTED_AS_SAYING.search(self.masked, after, last)
        if quoted:
            whom = self._subject(quoted.start("whom"), quoted.end("whom"), "quoted_as_saying", reading)
            if whom is not None:
                found.append(whom)
                reading.relay = self._subject_before(quoted.start(), first, reading)
                reading.cue = quoted.group()
        following = next(SPEECH.finditer(self.masked, after, last), None)
        if following is not None and not quoted:
            subject = self._subject_after_quotation(following, after, last, reading)
            if subject is not None:
                found.append(subject)
                cue = min(subject.start, following.start()), max(subject.end, following.end())
                reading.cue = reading.cue or self.text[cue[0] : cue[1]]
        leading = list(SPEECH.finditer(self.masked, first, before))
        if leading:
            verb = leading[-1]
            # "..., saying he \"appreciates\"": the pronoun between the verb and the quotation speaks.
            pronoun = re.match(r"\s+(?:that\s+)?(?P<pronoun>he|she)\b", self.masked[verb.end() : before])
            subject = (
                self._pronoun(verb.end() + pronoun.start("pronoun"), verb.end() + pronoun.end("pronoun"), reading)
                if pronoun
                else None
            )
            subject = (
                subject or self._subject_before(verb.start(), first, reading) or self._sentence_subject(first, reading)
            )
            if subject is not None:
                found.append(subject)
                reading.cue = reading.cue or self.text[min(subject.start, verb.start()) : max(subject.end, verb.end())]
        if not any(candidate.entity for candidate in found):
            found.extend(self._weaker(reading, previous))
        best: dict[str, Candidate] = {}
        for candidate in sorted(found, key=Candidate.rank):
            best.setdefault(candidate.entity or candidate.as_written.lower(), candidate)
        reading.candidates = list(best.values())

    def _subject_after_quotation(
        self, verb: re.Match, after: int, last: int, reading: QuotationReading
    ) -> Candidate | None:
        """The speaker of the first speech verb after a quotation: '," said Wang', '," Wang said', '..., Cambodia's
        foreign minister said', or the words before the verb ('," the report added') when they name no one known."""
        if re.fullmatch(r"[\s,;:\u2014\u2013-]*", self.masked[after : verb.start()]):
            position = verb.end() + len(self.masked[verb.end() : last]) - len(self.masked[verb.end() : last].lstrip())
            return self._mention_from(position, last, reading, "named")
        subject = self._subject_before(verb.start(), after, reading)
        if subject is None:
            direct = SUBJECT_THEN_VERB.match(self.masked, after, last)
            if direct and direct.start("verb") == verb.start():
                subject = self._subject(direct.start("subject"), direct.end("subject"), "named", reading)
        return subject

    def _according_to(self, reading: QuotationReading, first: int, last: int, found: list[Candidate]) -> None:
        for cue in ACCORDING_TO.finditer(self.masked, first, last):
            candidate = self._mention_from(cue.end(), last, reading, "according_to")
            if candidate is None:
                words = re.match(r"[^,;:.!?\"“”]{1,60}", self.masked[cue.end() : last])
                start = cue.end()
                if (
                    words
                    and len(words.group().split()) <= 6
                    and words.group() == self.text[start : words.end() + start]
                ):
                    written = words.group().rstrip()
                    candidate = Candidate(
                        None, None, written, start, start + len(written), "according_to", self._distance(reading, start)
                    )
            if candidate is not None:
                found.append(candidate)
                reading.cue = reading.cue or self.text[cue.start() : candidate.end]

    def _distance(self, reading: QuotationReading, position: int) -> int:
        return reading.opening - position if position < reading.opening else max(0, position - reading.closing)

    def _candidate(self, mention: Mention, basis: str, reading: QuotationReading) -> Candidate:
        return Candidate(
            mention.entity,
            mention.entity_name,
            self.text[mention.start : mention.end],
            mention.start,
            mention.end,
            basis,
            self._distance(reading, mention.start),
        )

    def _mention_from(self, position: int, limit: int, reading: QuotationReading, basis: str) -> Candidate | None:
        """The mention that starts at `position` (an article or determiner may come first)."""
        index = bisect_left(self._starts, position)
        if index < len(self.mentions):
            mention = self.mentions[index]
            lead = self.masked[position : mention.start]
            if mention.end <= limit and re.fullmatch(r"(?:(?:the|a|an|its|his|her)\s+)?", lead, re.IGNORECASE):
                return self._candidate(mention, basis, reading)
        return None

    def _subject(self, start: int, end: int, basis: str, reading: QuotationReading) -> Candidate | None:
        """The speaker a subject names: a mention it ends with, a pronoun read as the last person named, or its
        words alone (at most five) when it names no known entity."""
        while end > start and self.masked[end - 1].isspace():
            end -= 1
        words = self.masked[start:end]
        if words.lower() in PERSONAL:
            return self._pronoun(start, end, reading)
        mention = self._ends.get(end)
        if mention is not None and mention.start >= start:
            return self._candidate(mention, basis, reading)
        if 0 < len(words.split()) <= 5 and words == self.text[start:end]:  # (not across a quotation)
            return Candidate(None, None, words, start, end, basis, self._distance(reading, start))
        return None

    def _subject_before(self, verb: int, first: int, reading: QuotationReading) -> Candidate | None:
        """The mention or pronoun right before a verb, in the same sentence."""
        index = bisect_left(self._starts, verb) - 1
        pronoun = None
        for found in re.finditer(r"\b(?:[Hh]e|[Ss]he)\b", self.masked[first:verb]):
            pronoun = (first + found.start(), first + found.end())
        mention = self.mentions[index] if index >= 0 and self.mentions[index].start >= first else None
        spans = [span for span in (pronoun, (mention.start, mention.end) if mention else None) if span]
        for start, end in sorted(spans, key=lambda span: -span[1]):
            if BETWEEN_SUBJECT_AND_VERB.fullmatch(self.masked[end:verb]):
                if pronoun == (start, end):
                    return self._pronoun(start, end, reading)
                assert mention is not None
                return self._candidate(mention, "named", reading)
        return None

    def _sentence_subject(self, first: int, reading: QuotationReading) -> Candidate | None:
        """The sentence's own subject, where it opens with a pronoun or a name ("He pointed out ..., and added,
        \"...\""; "US President Donald Trump commended ..., saying"): the last known name of its opening words."""
        opening = re.match(r"\s*(?:(?:Meanwhile|However|Separately|But|And|Earlier|Later),\s*)?", self.masked[first:])
        position = first + (opening.end() if opening else 0)
        pronoun = re.match(r"(?:He|She)\b", self.masked[position : reading.opening])
        if pronoun:
            return self._pronoun(position, position + pronoun.end(), reading)
        phrase = CAPITALISED_PHRASE.match(self.masked, position, reading.opening)
        if phrase is None:
            return None
        index = bisect_left(self._starts, phrase.end()) - 1
        if index >= 0 and self.mentions[index].start >= position and self.mentions[index].end <= phrase.end():
            return self._candidate(self.mentions[index], "named", reading)
        return None

    def _pronoun(self, start: int, end: int, reading: QuotationReading) -> Candidate | None:
        """'he' or 'she', read as the last person named before it."""
        for index in range(bisect_left(self._starts, start) - 1, -1, -1):
            mention = self.mentions[index]
            if mention.entity_kind == "person":
                return Candidate(
                    mention.entity,
                    mention.entity_name,
                    self.text[start:end],
                    start,
                    end,
                    "pronoun",
                    self._distance(reading, start),
                )
        return None

    def _weaker(self, reading: QuotationReading, previous: QuotationReading | None) -> list[Candidate]:
        """Without an attribution naming a known entity: the previous quotation's speaker (a continued
        statement), then the people and bodies the sentence names."""
        weaker = []
        if previous and previous.candidates and previous.candidates[0].entity:
            paragraph = bisect_right(self._paragraph_starts, reading.opening)
            if paragraph - bisect_right(self._paragraph_starts, previous.opening) <= 1:
                top = previous.candidates[0]
                weaker.append(
                    Candidate(
                        top.entity,
                        top.entity_name,
                        top.as_written,
                        top.start,
                        top.end,
                        "previous_quotation",
                        self._distance(reading, top.start),
                    )
                )
        first, last = reading.passage
        for index in range(bisect_left(self._starts, first), bisect_left(self._starts, last)):
            mention = self.mentions[index]
            if mention.entity_kind in SPEAKING_KINDS[:2]:
                weaker.append(self._candidate(mention, "mentioned", reading))
        return weaker
