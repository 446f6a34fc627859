"""The questions people type in other languages, as data: one table per language.

The router (vqa/router.py) reads a question in Spanish, German, Portuguese,
Italian, French, Chinese, Hindi or Arabic by rewriting the words these tables
know into the English the grammar (vqa/grammar.py) is written in ("¿Es una
mujer?" -> "is a woman"), and leaves every other word as it is. Each table:

- markers: words common in questions in that language, to tell it apart
  (Chinese, Hindi and Arabic are told by their script);
- before_folding: the few rewrites that need accents, where dropping them
  would merge two words (Portuguese "é" is "is", "e" is "and");
- rewrites: (pattern, English), applied in order, longest phrases first;
- refused: (topic, pattern) for each of grammar.REFUSED's topics, so that a
  harmful question is refused in every language the router reads;
- ambiguous: the negations that can be read two ways (a question that opens
  with Spanish "¿No es...?" is as often "isn't it..." as "is it not...");
  a yes/no question with one is refused with `example` as a rephrasing.

Patterns run on vqa.text.normalize's output (lower case, Latin accents off,
German umlauts as ae/oe/ue, one spelling of Arabic letters) and are written
that way. Words are whole words: Latin languages and Arabic use \\b, Hindi the
spaces between words (its vowel signs are not \\w), Chinese has no spaces and
matches anywhere. Numbers are digits: number words are only read in English.
"""
from __future__ import annotations

import dataclasses
import functools
import re

from vqa.text import fold_letters

__all__ = ["ENGLISH", "LANGUAGES", "Language", "detect"]

# ---------------------------------------------------------------------------
# The shape of a table.

BOUNDARIES = {
    "word": (r"\b(?:", r")\b"),
    "space": (r"(?<!\S)(?:", r")(?!\S)"),
    "none": ("(?:", ")"),
}


@dataclasses.dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1
    name: str
    example: str  # a plain yes/no question in this language, for the rephrasing suggestion
    markers: frozenset[str] = frozenset()
    script: str | None = None  # a character class; a question with one of these is in this language
    letters: str = ""  # accented letters and marks typical of it: each one in a question counts as a marker
    boundary: str = "word"  # "word" | "space" | "none" (see module docstring)
    before_folding: tuple[tuple[str, str], ...] = ()
    rewrites: tuple[tuple[str, str], ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    ambiguous: str | None = None

    def _wrap(self, pattern: str) -> str:
        start, end = BOUNDARIES[self.boundary]
        return f"{start}{fold_letters(pattern)}{end}"

    @functools.cached_property
    def _compiled(self):
        return ([(re.compile(self._wrap(p)), f" {english} ") for p, english in self.rewrites],
                [(topic, re.compile(self._wrap(p))) for topic, p in self.refused],
                re.compile(self._wrap(self.ambiguous)) if self.ambiguous else None)

    def prepare(self, question: str) -> str:
        """The question before normalisation, with the accented words that folding would merge rewritten."""
        text = question.lower()
        for pattern, english in self.before_folding:
            text = re.sub(pattern, f" {english} ", text)
        return text

    def to_english(self, normalized: str) -> str:
        text = normalized
        for pattern, english in self._compiled[0]:
            # One space between words after each rewrite, so that a later pattern can look ahead by words.
            text = re.sub(r"\s+", " ", pattern.sub(english, text)).strip()
        return text

    def refused_topic(self, normalized: str) -> str | None:
        return next((topic for topic, pattern in self._compiled[1] if pattern.search(normalized)), None)

    def is_ambiguous(self, normalized: str) -> bool:
        pattern = self._compiled[2]
        return bool(pattern and pattern.search(normalized))


def _words(*words: str) -> str:
    return "|".join(words)


# ---------------------------------------------------------------------------
# English: no rewrites (the grammar is English); its markers tell it apart
# from the others when a question mixes words ("Is she latina?").
ENGLISH = Language(
    code="en", name="English", example="'Is this person a man?'",
    markers=frozenset("is are was the this that what how she he they his her their does do old person of or and "
                      "an it in between over under which who man woman gender race age".split()),
)

# ---------------------------------------------------------------------------
# Spanish.
SPANISH = Language(
    code="es", name="Spanish", example="'¿Es un hombre?'", letters="ñ¿¡",
    markers=frozenset("es esta este esa ese una un que cual cuantos anos tiene edad mujer hombre raza etnia "
                      "genero sexo ella persona chica chico nino nina joven viejo vieja mayor menor senor senora "
                      "tendra parece origen y la el".split()),
    before_folding=((r"\bestá\b", "is"), (r"\bél\b", "he")),
    rewrites=(
        # Negation: "no es (un|una)" reads "is not a"; one at the very start is ambiguous (see below).
        (r"no (?:es|esta|is|sera|era|parece)(?: (?:un|una))?", "is not a"),
        (r"no", "not"),
        (r"cuantos anos (?:tiene|tendra|tienes)|que edad (?:tiene|tendra)|que edad", "how old"),
        (r"mayor de edad", "an adult"), (r"menor de edad", "a minor"),
        (r"(?:mas de|mayor de|mayor que) (\d+)", r"over \1"),
        (r"(?:menos de|menor de|menor que) (\d+)", r"under \1"),
        (r"entre (\d+) y (\d+)", r"between \1 and \2"),
        (r"(?:unos|alrededor de|aproximadamente) (\d+)", r"around \1"),
        (r"tiene (\d+)", r"\1 years old"),
        (r"grupo etnico|origen etnico|etnia|etnicidad", "ethnicity"), (r"raza", "race"),
        (r"genero|sexo", "gender"), (r"edad", "age"), (r"anos", "years"),
        (r"(?:esta|este|esa|ese|aquella|aquel) (?=persona|mujer|hombre|chica|chico|senor|senora|nino|nina)",
         "this"),
        (r"(?:el|la|los|las) (?=persona|mujer|hombre|chica|chico|senor|senora|nino|nina)", "the"),
        (r"del (?:este|oriente) de asia|asiatico oriental|asiatica oriental", "east asian"),
        (r"del sudeste asiatico|sudeste asiatico", "southeast asian"),
        (r"del sur de asia|surasiatic[oa]s?|sudasiatic[oa]s?", "south asian"),
        (r"de oriente medio|del medio oriente|medio oriente|oriente medio", "middle eastern"),
        (r"asiatic[oa]s?", "asian"), (r"blanc[oa]s?|caucasic[oa]s?", "white"),
        (r"negr[oa]s?|afroamerican[oa]s?|african[oa]s?", "black"),
        (r"hispan[oa]s?|latinoamerican[oa]s?", "hispanic"), (r"arabe|arabes", "arab"),
        (r"indi[oa]s?|indigenas?", "indigenous"),
        (r"masculin[oa]", "male"), (r"femenin[oa]", "female"),
        (r"hombres?|varon|varones|senor|caballero", "man"),
        (r"mujer|mujeres|senora|dama", "woman"), (r"chica|muchacha", "girl"), (r"chico|muchacho", "boy"),
        (r"bebe", "baby"), (r"nin[oa]s?", "child"), (r"adolescentes?", "teenager"),
        (r"adult[oa]s?", "adult"), (r"ancian[oa]s?|viej[oa]s?", "elderly"), (r"joven|jovenes", "young"),
        (r"persona", "person"), (r"ella", "she"), (r"es|son|is", "is"), (r"un|una", "a"),
        (r"y", "and"), (r"o|u", "or"),
    ),
    refused=(
        ("criminality", r"criminal\w*|delincuente\w*|ladron\w*|terrorista\w*|peligros[oa]s?|violent[oa]s?|"
                        r"culpable|confiable|de fiar|honest[oa]s?|deshonest[oa]s?|mentiros[oa]s?|sospechos[oa]s?|"
                        r"pandiller[oa]s?"),
        ("religion", r"religion\w*|religios[oa]s?|musulman\w*|islam\w*|cristian[oa]s?|judi[oa]s?|judaism\w*|"
                     r"hindu\w*|budista\w*|catolic[oa]s?|protestante\w*|ate[oa]|dios|creyente"),
        ("sexual_orientation", r"gay|gays|lesbiana\w*|homosexual\w*|heterosexual\w*|bisexual\w*|"
                               r"orientacion sexual|sexualidad|hetero"),
        ("gender_identity", r"transgenero\w*|trans|no binari[oa]|identidad de genero"),
        ("attractiveness", r"atractiv[oa]s?|guap[oa]s?|bonit[oa]s?|hermos[oa]s?|fe[oa]s?|lind[oa]s?|sexy|"
                           r"bell[oa]s?"),
        ("intelligence", r"inteligen\w*|estupid[oa]s?|tont[oa]s?|educad[oa]s?|educacion|coeficiente intelectual"),
        ("politics", r"politic\w*|vota\w*|izquierdista\w*|derechista\w*|conservador\w*|liberal\w*|"
                     r"comunista\w*|democrata\w*|republican[oa]s?"),
        ("health", r"enferm\w*|discapacit\w*|salud|embarazad[ao]s?|autis\w*|trastorno\w*|depresi\w*|"
                   r"diagnostic\w*|san[oa]"),
        ("wealth", r"ric[oa]s?|pobre\w*|riqueza|dinero|salario|ingresos|clase social"),
        ("immigration", r"ilegal\w*|inmigrante\w*|emigrante\w*|indocumentad[oa]s?|refugiad[oa]s?|"
                        r"ciudadania|pasaporte|sin papeles"),
        ("personality", r"personalidad|caracter|buena persona|mala persona|amable|simpatic[oa]s?|"
                        r"malvad[oa]s?"),
    ),
    # A question that opens with the negation ("¿No es un hombre?") is Spanish's "isn't it...?" as often
    # as "is it not...?"; so is one with two ("no es no...") or "ni ... ni".
    ambiguous=r"^no |no \w+ no|ni \w+ (?:\w+ )?ni",
)

# ---------------------------------------------------------------------------
# Portuguese.
PORTUGUESE = Language(
    code="pt", name="Portuguese", example="'É um homem?'", letters="ãõêô",
    markers=frozenset("e um uma essa esse esta este qual quantos anos tem idade mulher homem raca etnia genero "
                      "sexo ela ele pessoa menina menino moca rapaz jovem velho velha nao dela dele voce do da "
                      "branca branco negra negro".split()),
    before_folding=((r"\bé\b", "is"), (r"\bestá\b", "is")),
    rewrites=(
        # First: the article "a" is also the English "a" the rewrites below write.
        (r"(?:o|a|os|as) (?=pessoa|mulher|homem|menina|menino|moca|rapaz|senhora|senhor)", "the"),
        (r"nao (?:is|e|esta|parece|sera|era)(?: (?:um|uma))?", "is not a"),
        (r"nao", "not"),
        (r"quantos anos (?:tem|ela tem|ele tem|voce tem)|qual (?:is|e) a idade|que idade (?:tem)?", "how old"),
        (r"maior de idade", "an adult"), (r"menor de idade", "a minor"),
        (r"(?:mais de|maior de|maior que|acima de) (\d+)", r"over \1"),
        (r"(?:menos de|menor de|menor que|abaixo de) (\d+)", r"under \1"),
        (r"entre (\d+) e (\d+)", r"between \1 and \2"),
        (r"(?:uns|cerca de|aproximadamente) (\d+)", r"around \1"),
        (r"tem (\d+)", r"\1 years old"),
        (r"origem etnica|grupo etnico|etnia|etnicidade", "ethnicity"), (r"raca", "race"),
        (r"genero|sexo", "gender"), (r"idade", "age"), (r"anos", "years"),
        (r"(?:essa|esse|esta|este|aquela|aquele) (?=pessoa|mulher|homem|menina|menino|moca|rapaz|senhora|senhor)",
         "this"),
        (r"do leste asiatico|leste asiatic[oa]", "east asian"), (r"do sudeste asiatico", "southeast asian"),
        (r"do sul da asia|sul asiatic[oa]", "south asian"), (r"do oriente medio|oriente medio", "middle eastern"),
        (r"asiatic[oa]s?", "asian"), (r"branc[oa]s?|caucasian[oa]s?", "white"),
        (r"negr[oa]s?|pret[oa]s?|afro ?american[oa]s?|african[oa]s?", "black"),
        (r"hispanic[oa]s?|latin[oa]s?|latino american[oa]s?", "latino"), (r"arabe|arabes", "arab"),
        (r"indian[oa]s?", "indian"), (r"indi[oa]s?|indigenas?", "indigenous"),
        (r"masculin[oa]", "male"), (r"feminin[oa]", "female"),
        (r"homem|homens|senhor|rapaz", "man"), (r"mulher|mulheres|senhora|moca", "woman"),
        (r"menina|garota", "girl"), (r"menino|garoto", "boy"),
        (r"bebe", "baby"), (r"crianca|criancas", "child"), (r"adolescentes?", "teenager"),
        (r"adult[oa]s?", "adult"), (r"idos[oa]s?|velh[oa]s?", "elderly"), (r"jovem|jovens", "young"),
        (r"pessoa", "person"), (r"ela", "she"), (r"ele", "he"), (r"is|sao", "is"), (r"um|uma", "a"),
        (r"e", "and"), (r"ou", "or"),
    ),
    refused=(
        ("criminality", r"criminos[oa]s?|criminal\w*|bandid[oa]s?|ladr(?:ao|oes|ona)|terrorista\w*|"
                        r"perigos[oa]s?|violent[oa]s?|culpad[oa]s?|confiavel|honest[oa]s?|desonest[oa]s?|"
                        r"mentiros[oa]s?|suspeit[oa]s?"),
        ("religion", r"religi\w*|muculman[oa]s?|islam\w*|crista|cristao|cristaos|cristas|judeu|judia|judeus|"
                     r"judaic[oa]s?|hindu\w*|budista\w*|catolic[oa]s?|evangelic[oa]s?|protestante\w*|"
                     r"ateu|ateia|deus"),
        ("sexual_orientation", r"gay|gays|lesbica\w*|homossexual\w*|heterossexual\w*|bissexual\w*|"
                               r"orientacao sexual|sexualidade|hetero"),
        ("gender_identity", r"transgenero\w*|trans|nao binari[oa]|identidade de genero"),
        ("attractiveness", r"atraente\w*|bonit[oa]s?|lind[oa]s?|fei[oa]s?|sexy|bel[oa]s?|gat[oa]s?"),
        ("intelligence", r"inteligen\w*|burr[oa]s?|estupid[oa]s?|espert[oa]s?|educad[oa]s?|educacao|"
                         r"escolaridade"),
        ("politics", r"politic\w*|vota\w*|eleitor\w*|esquerdista\w*|direitista\w*|conservador\w*|liberal\w*|"
                     r"comunista\w*|bolsonarista\w*|petista\w*"),
        ("health", r"doente\w*|doenca\w*|deficien\w*|saude|gravida\w*|autis\w*|transtorno\w*|depress\w*|"
                   r"diagnostic\w*|diagnos\w*"),
        ("wealth", r"ric[oa]s?|pobre\w*|riqueza|dinheiro|salario|classe social|morador de rua"),
        ("immigration", r"ilega(?:l|is)|imigrante\w*|emigrante\w*|indocumentad[oa]s?|refugiad[oa]s?|"
                        r"cidadania|passaporte"),
        ("personality", r"personalidade|carater|boa pessoa|ma pessoa|gentil|simpatic[oa]s?|malvad[oa]s?"),
    ),
    ambiguous=r"^nao |nao \w+ nao|nem \w+ (?:\w+ )?nem",
)

# ---------------------------------------------------------------------------
# Italian.
ITALIAN = Language(
    code="it", name="Italian", example="'È un uomo?'", letters="èìòù",
    markers=frozenset("e un una uno questa questo quella quello quanti anni ha eta donna uomo razza etnia "
                      "genere sesso lei lui persona ragazza ragazzo bambino bambina giovane vecchio vecchia "
                      "anziano anziana non di il lo qual quale bianco bianca nero nera".split()),
    before_folding=((r"\bè\b", "is"),),
    rewrites=(
        (r"non (?:is|e|sembra|sara|era)(?: (?:un|una|uno))?", "is not a"),
        (r"non", "not"),
        (r"quanti anni (?:ha|avra|hai)|che eta ha|qual is la (?:sua )?eta|quale is la (?:sua )?eta", "how old"),
        (r"maggiorenne", "an adult"), (r"minorenne", "a minor"),
        (r"(?:piu di|oltre|sopra i?) ?(\d+)", r"over \1"),
        (r"(?:meno di|sotto i?) ?(\d+)", r"under \1"),
        (r"tra (\d+) e (\d+)", r"between \1 and \2"),
        (r"(?:circa|sui) (\d+)", r"around \1"),
        (r"ha (\d+) anni", r"\1 years old"),
        (r"origine etnica|gruppo etnico|etnia|etnicita", "ethnicity"), (r"razza", "race"),
        (r"genere|sesso", "gender"), (r"eta", "age"), (r"anni", "years"),
        (r"(?:questa|questo|quella|quello) (?=persona|donna|uomo|ragazza|ragazzo|signora|signore|bambin)", "this"),
        (r"(?:il|la|lo|l|i|le|gli) (?=persona|donna|uomo|ragazza|ragazzo|signora|signore|bambin)", "the"),
        (r"dell asia orientale|est asiatic[oa]|asiatic[oa] orientale", "east asian"),
        (r"del sud est asiatico|sud ?est asiatic[oa]", "southeast asian"),
        (r"dell asia meridionale|sud asiatic[oa]", "south asian"), (r"mediorientale|medio orientale",
                                                                   "middle eastern"),
        (r"asiatic[oaih]e?", "asian"), (r"bianc[oaih]e?|caucasic[oaih]e?", "white"),
        (r"ner[oaie]|afroamerican[oaie]|african[oaie]", "black"),
        (r"ispanic[oaih]e?|latin[oaie]|latinoamerican[oaie]", "latino"), (r"arab[oaie]", "arab"),
        (r"indian[oaie]", "indian"), (r"indigen[oaie]", "indigenous"),
        (r"maschil[ei]", "male"), (r"femminil[ei]", "female"),
        (r"uomo|uomini|signore", "man"), (r"donna|donne|signora", "woman"),
        (r"ragazza|ragazze", "girl"), (r"ragazzo|ragazzi", "boy"),
        (r"neonat[oa]", "baby"), (r"bambin[oaie]", "child"), (r"adolescent[ei]", "teenager"),
        (r"adult[oaie]", "adult"), (r"anzian[oaie]|vecchi[oa]|vecchie", "elderly"), (r"giovane|giovani", "young"),
        (r"persona", "person"), (r"lei", "she"), (r"lui", "he"), (r"is|sono", "is"), (r"un|una|uno", "a"),
        (r"e|ed", "and"), (r"o|oppure", "or"),
    ),
    refused=(
        ("criminality", r"criminal[ei]|delinquent[ei]|ladr[oi]|ladra|terrorist[aie]|pericolos[oaie]|"
                        r"violent[oaie]|colpevol[ei]|affidabil[ei]|onest[oaie]|disonest[oaie]|bugiard[oaie]|"
                        r"sospett[oaie]"),
        ("religion", r"religio\w*|musulman[oaie]|islam\w*|cristian[oaie]|ebre[oaie]|ebrei|indu|induist\w*|"
                     r"buddist[aie]|cattolic[oaih]e?|protestant[ei]|ate[oa]|atei|dio|fede"),
        ("sexual_orientation", r"gay|lesbica|lesbiche|omosessual[ei]|eterosessual[ei]|bisessual[ei]|"
                               r"orientamento sessuale|sessualita|etero"),
        ("gender_identity", r"transgender|trans|non binari[oa]|identita di genere"),
        ("attractiveness", r"attraent[ei]|bell[oaie]|bellissim[oaie]|carin[oaie]|brutt[oaie]|sexy|"
                           r"affascinant[ei]"),
        ("intelligence", r"intelligen\w*|stupid[oaie]|scem[oaie]|istruit[oaie]|istruzione|qi"),
        ("politics", r"politic\w*|vot\w*|elettor\w*|conservator[ei]|liberal[ei]|comunist[aie]|"
                     r"democratic[oaih]e?|fascist[aie]|leghist[aie]"),
        ("health", r"malat\w*|disabil\w*|salute|incinta|autis\w*|disturb\w*|depress\w*|diagnos\w*|san[oa]"),
        ("wealth", r"ricc[oa]|ricchi|ricche|pover[oaie]|ricchezza|soldi|stipendio|reddito|classe sociale|"
                   r"senzatetto"),
        ("immigration", r"illegal[ei]|clandestin[oaie]|immigrat[oaie]|migrant[ei]|profug[oaih]e?|"
                        r"rifugiat[oaie]|cittadinanza|passaporto"),
        ("personality", r"personalita|carattere|gentil[ei]|simpatic[oaih]e?|cattiv[oaie]|brava persona|"
                        r"buona persona"),
    ),
    ambiguous=r"^non |non \w+ non|ne \w+ (?:\w+ )?ne",
)

# ---------------------------------------------------------------------------
# French. "N'est-ce pas un homme ?" is the tag "isn't it a man?" (asks
# whether it is, like English "Isn't she Asian?"); "ce n'est pas un homme ?"
# and "il n'est pas asiatique ?" negate.
FRENCH = Language(
    code="fr", name="French", example="'Est-ce un homme ?'", letters="çëîïûœ",
    markers=frozenset("est ce cette cet quel quelle quels age ans femme homme fille garcon sexe genre "
                      "ethnique origine elle il personne de la le les une un pas ne n l qu jeune vieux vieille "
                      "blanc blanche noir noire asiatique".split()),
    rewrites=(
        (r"n est ce pas(?: (?:un|une))?", "is it a"),
        (r"pas (?:un |une |d )?", "not a"),
        (r"ne|n", ""),
        (r"quel age (?:a t il|a t elle|a|as tu)|quel age", "how old"),
        (r"majeure?s?", "an adult"), (r"mineure?s?", "a minor"),
        (r"(?:plus de|au dessus de) (\d+)", r"over \1"), (r"(?:moins de|en dessous de) (\d+)", r"under \1"),
        (r"entre (\d+) et (\d+)", r"between \1 and \2"),
        (r"(?:environ|autour de|a peu pres) (\d+)", r"around \1"),
        (r"a (\d+) ans", r"\1 years old"),
        (r"origine ethnique|groupe ethnique|ethnie|ethnicite|appartenance ethnique", "ethnicity"),
        (r"genre|sexe", "gender"), (r"ans", "years"),
        (r"(?:cette|cet|ce) (?=personne|femme|homme|fille|garcon|dame|monsieur|enfant)", "this"),
        (r"(?:le|la|l|les) (?=personne|femme|homme|fille|garcon|dame|monsieur|enfant)", "the"),
        (r"(?:d )?asie de l est|est asiatiques?", "east asian"), (r"(?:d )?asie du sud est", "southeast asian"),
        (r"(?:d )?asie du sud|sud asiatiques?", "south asian"), (r"(?:du )?moyen orient", "middle eastern"),
        (r"asiatiques?", "asian"), (r"blanc|blanche|blancs|blanches|caucasien\w*", "white"),
        (r"noir|noire|noirs|noires|afro americain\w*|africain\w*", "black"),
        (r"hispanique\w*|latino\w*|latina\w*|latine\w*", "latino"), (r"arabes?", "arab"),
        (r"indien|indienne|indiens|indiennes", "indian"), (r"indigenes?|autochtones?", "indigenous"),
        (r"masculine?", "male"), (r"feminine?", "female"),
        (r"hommes?|monsieur", "man"), (r"femmes?|dame", "woman"), (r"filles?", "girl"), (r"garcons?", "boy"),
        (r"bebes?", "baby"), (r"enfants?", "child"), (r"adolescente?s?", "teenager"),
        (r"adultes?", "adult"),
        # Not "âgé" itself: it folds to "age". "âgée" folds to "agee".
        (r"personne agee|agee|agees|vieux|vieille|vieilles", "elderly"), (r"jeunes?", "young"),
        (r"personne", "person"), (r"elle", "she"), (r"il", "he"), (r"est|sont", "is"),
        (r"un|une", "a"), (r"et", "and"), (r"ou", "or"),
    ),
    refused=(
        ("criminality", r"criminel\w*|delinquant\w*|voleu\w*|voleuse\w*|terroris\w*|dangereu\w*|violent\w*|"
                        r"coupable\w*|digne de confiance|honnete\w*|malhonnete\w*|menteu\w*|suspect\w*"),
        ("religion", r"religi\w*|musulman\w*|islam\w*|chretien\w*|juif|juive|juifs|juives|hindou\w*|"
                     r"bouddhist\w*|catholique\w*|protestant\w*|athee\w*|dieu|foi"),
        ("sexual_orientation", r"gay|gays|lesbienne\w*|homosexuel\w*|heterosexuel\w*|bisexuel\w*|"
                               r"orientation sexuelle|sexualite|hetero"),
        ("gender_identity", r"transgenre\w*|trans|non binaire\w*|identite de genre"),
        ("attractiveness", r"attirant\w*|belle|belles|beau|beaux|joli|jolie|jolis|jolies|laid|laide|moche\w*|"
                           r"sexy|mignon\w*|seduisant\w*"),
        ("intelligence", r"intelligen\w*|stupide\w*|bete|betes|idiot\w*|instruit\w*|education|qi"),
        ("politics", r"politi\w*|vote\w*|electeur\w*|electrice\w*|gauchiste\w*|extreme (?:droite|gauche)|"
                     r"conservat\w*|liberal\w*|communiste\w*|democrate\w*|republicain\w*"),
        ("health", r"malade\w*|maladie\w*|handicap\w*|sante|enceinte|autis\w*|depress\w*|diagnos\w*"),
        ("wealth", r"riche\w*|pauvre\w*|richesse|argent|salaire|revenu\w*|classe sociale|sans abri|sdf"),
        ("immigration", r"illegal\w*|immigr\w*|emigr\w*|sans papiers|refugie\w*|clandestin\w*|citoyennete|"
                        r"passeport"),
        ("personality", r"personnalite|caractere|gentil\w*|mechant\w*|bonne personne|mauvaise personne"),
    ),
    ambiguous=r"ni \w+ (?:\w+ )?ni|pas \w+ pas",
)

# ---------------------------------------------------------------------------
# German. "kein Mann" and "nicht weiblich" negate; "Ist das nicht ein Mann?"
# is German's "isn't that a man?" as often as "is that not a man?".
GERMAN = Language(
    code="de", name="German", example="'Ist das ein Mann?'", letters="äöüß",
    markers=frozenset("ist sind das die der diese dieser dieses wie alt welche welches welcher frau mann "
                      "maedchen junge geschlecht alter ethnische ethnie herkunft rasse sie er person kein keine "
                      "nicht ein eine oder und jahre weiblich maennlich".split()),
    rewrites=(
        (r"kein|keine|keinen|keiner|keinem", "not a"),
        (r"nicht (?:ein|eine|einen|einer)", "not a"),
        (r"nicht", "not"),
        (r"wie alt", "how old"), (r"volljaehrig", "an adult"), (r"minderjaehrig", "a minor"),
        (r"(?:ueber|aelter als|mehr als) (\d+)", r"over \1"), (r"(?:unter|juenger als) (\d+)", r"under \1"),
        (r"zwischen (\d+) und (\d+)", r"between \1 and \2"), (r"(?:etwa|ungefaehr|circa|ca) (\d+)", r"around \1"),
        (r"(\d+) jahre alt", r"\1 years old"),
        (r"ethnische (?:herkunft|zugehoerigkeit|gruppe)|ethnie|ethnizitaet|abstammung|herkunft", "ethnicity"),
        (r"rasse", "race"), (r"geschlecht", "gender"), (r"alter", "age"), (r"jahre", "years"),
        (r"(?:diese|dieser|dieses|diesen|die|der|das) (?=person|frau|mann|maedchen|junge|dame|herr|kind)", "this"),
        (r"ostasiat\w*", "east asian"), (r"suedostasiat\w*", "southeast asian"), (r"suedasiat\w*", "south asian"),
        (r"nahoestlich\w*|aus dem nahen osten", "middle eastern"),
        (r"asiat\w*", "asian"), (r"weisse?r?|weissen|kaukasisch\w*", "white"),
        (r"schwarze?r?|schwarzen|afroamerikan\w*|afrikan\w*", "black"),
        (r"hispanisch\w*|latein ?amerikan\w*|latino|latina", "latino"), (r"araber\w*|arabisch\w*", "arab"),
        (r"inder|inderin|indisch\w*", "indian"), (r"indigen\w*", "indigenous"),
        (r"junge (?=frau|mann|person|dame|erwachsene)", "young"), (r"maennlich\w*", "male"), (r"weiblich\w*", "female"),
        (r"mann|maenner|herr", "man"), (r"frau|frauen|dame", "woman"), (r"maedchen", "girl"), (r"junge", "boy"),
        (r"baby|saeugling", "baby"), (r"kind|kinder", "child"), (r"teenager\w*|jugendliche\w*", "teenager"),
        (r"erwachsene?r?", "adult"), (r"alt|alte|senior\w*", "elderly"), (r"jung", "young"),
        # "hat" (has) is the English grammar's clothing word.
        (r"ist|sind", "is"), (r"hat|haben|hast|hatte", "has"), (r"ein|eine|einen", "a"), (r"und", "and"),
        (r"oder", "or"),
        (r"er", "he"), (r"sie", "she"),
    ),
    refused=(
        ("criminality", r"kriminell\w*|verbrecher\w*|dieb\w*|terrorist\w*|gefa(?:e)?hrlich\w*|gewalttaetig\w*|"
                        r"schuldig\w*|vertrauenswuerdig\w*|ehrlich\w*|unehrlich\w*|luegner\w*|verdaechtig\w*"),
        ("religion", r"religio\w*|muslim\w*|moslem\w*|islam\w*|christ|christin|christen|christlich\w*|"
                     r"jude|juedin|juden|juedisch\w*|hindu\w*|buddhist\w*|katholisch\w*|evangelisch\w*|"
                     r"atheist\w*|gott|glaube\w*"),
        ("sexual_orientation", r"schwul\w*|lesbisch\w*|lesbe|homosexuell\w*|heterosexuell\w*|bisexuell\w*|"
                               r"sexuelle orientierung|sexualitaet|hetero|gay"),
        ("gender_identity", r"transgender|trans|nichtbinaer|nicht binaer|geschlechtsidentitaet"),
        ("attractiveness", r"attraktiv\w*|schoen|schoene\w*|huebsch\w*|haesslich\w*|sexy|gutaussehend\w*|"
                           r"suess\w*"),
        ("intelligence", r"intelligen\w*|klug\w*|schlau\w*|dumm\w*|gebildet\w*|bildung|iq"),
        # Not "links"/"rechts": "die Person links" is the person on the left.
        ("politics", r"politi\w*|partei\w*|waehl\w*|konservativ\w*|liberal\w*|kommunist\w*|linksextrem\w*|"
                     r"rechtsextrem\w*|nazi\w*"),
        ("health", r"krank\w*|behindert\w*|behinderung|gesund\w*|schwanger\w*|autis\w*|stoerung\w*|depress\w*|"
                   r"diagnos\w*"),
        ("wealth", r"reich|reiche\w*|wohlhabend\w*|(?:ist|sind) (?:\w+ )?arm|armut|geld|einkommen|gehalt|"
                   r"obdachlos\w*"),
        ("immigration", r"illegal\w*|einwander\w*|immigrant\w*|migrant\w*|fluechtling\w*|asyl\w*|"
                        r"staatsbuerger\w*|reisepass|aufenthalt\w*"),
        ("personality", r"persoenlichkeit|charakter|guter mensch|schlechter mensch|boese\w*|freundlich\w*|nett"),
    ),
    ambiguous=r"nicht (?:ein|eine|einen|einer)|weder \w+ (?:\w+ )?noch|nicht \w+ nicht|kein \w+ nicht",
)

# ---------------------------------------------------------------------------
# Chinese (simplified). "她是女人吗" (is she a woman), "这个人多大" (how old is
# this person). "是不是" asks yes-or-no; any other 不 negation ("她不是女人吗"
# is "isn't she a woman?", almost always) is ambiguous.
CHINESE = Language(
    code="zh", name="Chinese", example="'这个人是男人吗？'", script=r"[\u4e00-\u9fff]", boundary="none",
    rewrites=(
        (r"是不是", " is "),
        (r"多大|几岁|多少岁", "how old"),
        (r"未成年", "a minor"), (r"成年人|成年", "an adult"),
        (r"(?:超过|大于|多于)(\d+)岁?|(\d+)岁以上", r"over \1\2"),
        (r"(?:不到|小于|少于)(\d+)岁?|(\d+)岁以下", r"under \1\2"),
        (r"(\d+)岁", r"\1 years old"),
        (r"年龄|年纪|岁数", "age"), (r"性别", "gender"), (r"种族|人种", "race"), (r"民族|族裔", "ethnicity"),
        (r"这个人|这位|此人", "this person"), (r"这个", "this"),
        (r"东南亚人?", "southeast asian"), (r"东亚人?", "east asian"), (r"南亚人?", "south asian"),
        (r"中东人?", "middle eastern"), (r"亚洲人|亚裔", "asian"), (r"白人", "white"), (r"黑人", "black"),
        (r"拉丁裔|拉美裔|西班牙裔", "latino"), (r"阿拉伯人", "arab"), (r"印度人|印度裔", "indian"),
        (r"男性|男的|男人|男生|男孩|男子", "male"), (r"女性|女的|女人|女生|女孩|女子", "female"),
        (r"婴儿|宝宝", "baby"), (r"青少年", "teenager"), (r"孩子|小孩|儿童", "child"),
        (r"老人|老年人|年老", "elderly"), (r"年轻人|年轻", "young"), (r"老", "old"),
        (r"还是|或者|或", "or"), (r"和|以及", "and"), (r"他", "he"), (r"她", "she"),
        (r"是", "is"), (r"人", "person"), (r"吗|呢|了|的", ""),
    ),
    refused=(
        ("criminality", r"罪犯|犯罪|小偷|恐怖分子|危险|暴力|可信|诚实|骗子|可疑"),
        ("religion", r"宗教|穆斯林|伊斯兰|基督|犹太|佛教|印度教|天主教|信仰|无神论"),
        ("sexual_orientation", r"同性恋|异性恋|双性恋|性取向|性向|同志|直男"),
        ("gender_identity", r"跨性别|变性|非二元|性别认同"),
        ("attractiveness", r"漂亮|好看|帅|美丽|美女|丑|性感|可爱|颜值|吸引力"),
        ("intelligence", r"聪明|智商|笨|愚蠢|智力|学历|教育"),
        ("politics", r"政治|政党|党员|投票|选民|保守派|自由派|左派|右派"),
        ("health", r"生病|疾病|病人|残疾|健康|怀孕|自闭|抑郁|诊断"),
        ("wealth", r"有钱|富有|富人|穷|财富|收入|工资|阶层"),
        ("immigration", r"非法|移民|难民|偷渡|护照|公民身份"),
        ("personality", r"性格|人品|善良|好人|坏人|邪恶|友好"),
    ),
    ambiguous=r"(?<!是)不(?!到)",  # "不到30岁" is "under 30"
)

# ---------------------------------------------------------------------------
# Hindi. "क्या यह महिला है?" (is this a woman), "इस व्यक्ति की उम्र क्या है?"
# (what is this person's age). जाति is race and caste both: not read.
# Any नहीं in a yes/no question is ambiguous ("isn't it..." or "is it not...").
HINDI = Language(
    code="hi", name="Hindi", example="'क्या यह पुरुष है?'", script=r"[\u0900-\u097f]", boundary="space",
    rewrites=(
        (r"कितने साल का|कितने साल की|कितने साल के|कितने वर्ष का|कितने वर्ष की|कितनी उम्र|उम्र कितनी|"
         r"उम्र क्या", "how old"),
        (r"(\d+) (?:साल|वर्ष) से (?:ज़्यादा|ज्यादा|अधिक|ऊपर|बड़ा|बड़ी)", r"over \1"),
        (r"(\d+) (?:साल|वर्ष) से (?:कम|छोटा|छोटी)", r"under \1"),
        (r"(\d+) (?:साल|वर्ष) (?:का|की|के)", r"\1 years old"),
        (r"उम्र|आयु", "age"), (r"लिंग", "gender"), (r"नस्ल|नस्लीय", "race"), (r"जातीयता", "ethnicity"),
        (r"इस व्यक्ति|इस इंसान", "this person"), (r"इस", "this"),
        (r"पूर्वी एशियाई", "east asian"), (r"दक्षिण पूर्व एशियाई", "southeast asian"),
        (r"दक्षिण एशियाई", "south asian"), (r"मध्य पूर्वी", "middle eastern"),
        (r"एशियाई", "asian"), (r"श्वेत", "white"), (r"अश्वेत", "black"), (r"लैटिनो|हिस्पैनिक", "latino"),
        (r"अरब", "arab"), (r"भारतीय", "indian"),
        (r"पुरुष|आदमी|मर्द", "male"), (r"महिला|औरत|स्त्री", "female"), (r"लड़का", "boy"), (r"लड़की", "girl"),
        (r"बच्चा|बच्ची|बच्चे", "child"), (r"शिशु", "baby"), (r"किशोर|किशोरी", "teenager"), (r"वयस्क", "adult"),
        (r"बूढ़ा|बूढ़ी|बुज़ुर्ग|बुजुर्ग", "elderly"), (r"जवान|युवा", "young"),
        (r"व्यक्ति|इंसान", "person"),
        # "यह आदमी कितने साल का है" is "how old is this man": a demonstrative before the person asked about.
        (r"(?:यह|ये|वह|वो)(?= \S+ (?:how old|age|gender|race|ethnicity)\b)", "this"),
        (r"यह|ये|वह|वो", "it"), (r"या", "or"), (r"और", "and"),
        (r"क्या", "is"), (r"है|हैं|का|की|के", ""),
    ),
    refused=(
        ("criminality", r"अपराधी|अपराध|चोर|आतंकवादी|खतरनाक|ख़तरनाक|हिंसक|भरोसेमंद|ईमानदार|झूठा|संदिग्ध"),
        ("religion", r"धर्म|धार्मिक|मुस्लिम|मुसलमान|इस्लाम|ईसाई|यहूदी|हिंदू|हिन्दू|बौद्ध|सिख|नास्तिक|भगवान"),
        ("sexual_orientation", r"समलैंगिक|गे|लेस्बियन|विषमलैंगिक|उभयलिंगी|यौन रुझान|कामुकता"),
        ("gender_identity", r"ट्रांसजेंडर|किन्नर|नॉन बाइनरी|लैंगिक पहचान"),
        ("attractiveness", r"सुंदर|सुन्दर|खूबसूरत|ख़ूबसूरत|बदसूरत|आकर्षक|हैंडसम|सेक्सी"),
        ("intelligence", r"बुद्धिमान|होशियार|मूर्ख|बेवकूफ़|बेवकूफ|पढ़ा लिखा|शिक्षित|आईक्यू"),
        ("politics", r"राजनीति|राजनीतिक|पार्टी|वोट|मतदाता|भाजपा|कांग्रेस"),
        ("health", r"बीमार|बीमारी|रोग|विकलांग|स्वास्थ्य|गर्भवती|ऑटिज़्म|अवसाद"),
        ("wealth", r"अमीर|गरीब|ग़रीब|धनी|पैसा|पैसे|वेतन|आमदनी"),
        ("immigration", r"अवैध|प्रवासी|शरणार्थी|नागरिकता|पासपोर्ट|घुसपैठिया"),
        ("personality", r"व्यक्तित्व|चरित्र|स्वभाव|अच्छा इंसान|बुरा इंसान|दयालु"),
    ),
    ambiguous=r"नहीं|ना|न",
)

# ---------------------------------------------------------------------------
# Arabic (Modern Standard). "هل هذه امرأة؟" (is this a woman), "كم عمر هذا
# الرجل؟" (how old is this man). The article ال marks the person asked about
# ("the man"). Any negation (ليس، غير، لا) in a yes/no question is ambiguous.
ARABIC = Language(
    code="ar", name="Arabic", example="'هل هذا رجل؟'", script=r"[\u0621-\u064a]",
    rewrites=(
        # "nationality" shares its root with "sex": read it first, as the grammar's nationality topic.
        (r"(?:ال)?جنسيه|جنسيته|جنسيتها", "nationality"),
        (r"كم عمره|كم عمرها|كم عمر|ما عمره|ما عمرها|ما عمر|كم سنه", "how old"),
        (r"(?:اكبر من|فوق|اكثر من) (\d+)", r"over \1"), (r"(?:اصغر من|تحت|اقل من) (\d+)", r"under \1"),
        (r"(\d+) (?:سنه|عاما|عام)", r"\1 years old"),
        (r"(?:ال)?عمر|عمره|عمرها|(?:ال)?سن", "age"), (r"(?:ال)?جنس|جنسه|جنسها", "gender"),
        (r"(?:ال)?اصل (?:ال)?عرقي|(?:ال)?عرقيه|(?:ال)?عرق|عرقه|عرقها", "ethnicity"),
        (r"شرق اسيوي|شرق اسيويه", "east asian"), (r"جنوب شرق اسيوي|جنوب شرق اسيويه", "southeast asian"),
        (r"جنوب اسيوي|جنوب اسيويه", "south asian"), (r"شرق اوسطي|شرق اوسطيه", "middle eastern"),
        (r"اسيوي|اسيويه", "asian"), (r"ابيض|بيضاء", "white"), (r"اسود|سوداء", "black"),
        (r"لاتيني|لاتينيه", "latino"), (r"عربي|عربيه", "arab"), (r"هندي|هنديه", "indian"),
        (r"ذكر", "male"), (r"انثي", "female"),
        (r"الرجل", "the man"), (r"رجلا?", "a man"), (r"المراه|السيده", "the woman"), (r"امراه|سيده", "a woman"),
        (r"الفتاه|البنت", "the girl"), (r"فتاه|بنت", "a girl"), (r"الولد|الصبي", "the boy"), (r"ولدا?|صبيا?", "a boy"),
        (r"(?:ال)?طفل|(?:ال)?طفله", "child"), (r"(?:ال)?رضيع", "baby"), (r"(?:ال)?مراهق|(?:ال)?مراهقه", "teenager"),
        (r"(?:ال)?بالغ|(?:ال)?بالغه", "adult"), (r"(?:ال)?عجوز|(?:ال)?مسن|(?:ال)?مسنه", "elderly"),
        (r"(?:ال)?شاب|(?:ال)?شابه|صغير|صغيره", "young"),
        (r"(?:ال)?شخص", "person"), (r"هذا|هذه|هو|هي", "it"), (r"ام|او", "or"), (r"هل", "is"),
    ),
    refused=(
        ("criminality", r"مجرم\w*|(?:ال)?جريمه|لص|ارهابي\w*|خطير\w*|عنيف\w*|جدير بالثقه|صادق\w*|كاذب\w*|"
                        r"مشبوه\w*"),
        ("religion", r"(?:ال)?دين|ديانته|ديانتها|(?:ال)?ديانه|مسلم\w*|(?:ال)?اسلام|مسيحي\w*|يهودي\w*|"
                     r"هندوسي\w*|بوذي\w*|كاثوليكي\w*|ملحد\w*|الله|(?:ال)?ايمان"),
        ("sexual_orientation", r"مثلي\w*|شاذ\w*|مغاير\w*|ثنائي الجنس|(?:ال)?ميول (?:ال)?جنسيه|جنسانيه"),
        ("gender_identity", r"متحول\w*|عابر جنسيا|غير ثنائي|(?:ال)?هويه (?:ال)?جندريه|(?:ال)?هويه (?:ال)?جنسيه"),
        ("attractiveness", r"جميل\w*|وسيم\w*|قبيح\w*|جذاب\w*|مثير\w*|حلو|حلوه"),
        ("intelligence", r"ذكي\w*|غبي\w*|(?:ال)?ذكاء|متعلم\w*|(?:ال)?تعليم"),
        ("politics", r"سياس\w*|حزب\w*|ينتخب|ناخب\w*|محافظ\w*|ليبرالي\w*"),
        ("health", r"مريض\w*|(?:ال)?مرض|معاق\w*|(?:ال)?اعاقه|(?:ال)?صحه|حامل|توحد|اكتئاب|تشخيص"),
        ("wealth", r"غني\w*|فقير\w*|(?:ال)?ثروه|(?:ال)?مال|راتب\w*|(?:ال)?دخل|طبقه اجتماعيه"),
        ("immigration", r"غير شرعي\w*|مهاجر\w*|لاجئ\w*|جواز سفر|(?:ال)?اقامه"),
        ("personality", r"(?:ال)?شخصيه|اخلاق\w*|شرير\w*|لطيف\w*"),
    ),
    ambiguous=r"ليس|ليست|اليس|اليست|لست|غير|(?<!ام )(?<!او )لا",  # "... ام لا" is "... or not"
)

LANGUAGES = (ENGLISH, SPANISH, PORTUGUESE, ITALIAN, FRENCH, GERMAN, CHINESE, HINDI, ARABIC)
BY_CODE = {language.code: language for language in LANGUAGES}


def detect(normalized: str, question: str = "") -> Language:
    """The language of a question (`normalized` is vqa.text.normalize's form of
    `question`): by script for Chinese, Hindi and Arabic; otherwise the table
    whose markers and letters it has most of, English on a tie with English or
    when it has none; between other tables, the first in LANGUAGES."""
    for language in LANGUAGES:
        if language.script and re.search(language.script, normalized):
            return language
    words, raw = normalized.split(), question.lower()
    scores = [(sum(word in language.markers for word in words) + sum(letter in raw for letter in language.letters),
               -rank, language)
              for rank, language in enumerate(LANGUAGES) if not language.script]
    best_score, _, best = max(scores, key=lambda s: s[:2])
    english = sum(word in ENGLISH.markers for word in words)
    return best if best_score > english else ENGLISH
