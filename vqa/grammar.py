"""The question grammar as data: lexicons and regular expressions.

The router (vqa/router.py) is a small engine that walks these tables in order;
to teach it a new phrasing, add a row here, not an if-statement there. Every
pattern runs on text from vqa.text.normalize: lower case, digits for number
words ("thirty five" -> "35", "forties" -> "40s"), contractions expanded,
punctuation gone.

Matches are consumed: once a row matches, later rows no longer see that span,
so "how old" (an open age question) is not also read as "old" (a yes/no about
being elderly), and "not older than 30" is not also read as "older than 30".
"""
from __future__ import annotations

from vqa.text import MAX_QUESTION_CHARS

EXAMPLES = "for example 'How old is this person?' or 'Is she East Asian?'"

# ---------------------------------------------------------------------------
# Input that is not a question at all.
EMPTY_REASON = f"Please type a question about the face's race, gender or age, {EXAMPLES}."
TOO_LONG_REASON = (
    "That question is {n} characters long; please keep it under " + str(MAX_QUESTION_CHARS) + " characters."
)
GARBAGE_REASON = f"That does not look like a question. Ask about race, gender or age, {EXAMPLES}."
NOT_UNDERSTOOD_REASON = (
    f"This app can only answer questions about a face's race, gender or age, {EXAMPLES}."
)
AGE_RANGE_REASON = "Ages run from 0 to 120 years; {asked} is outside that range."

# ---------------------------------------------------------------------------
# Things this app will not guess, whatever else the question asks: they are
# not visible in a face, and guessing them from one is how face analysis harms
# people. (topic, pattern, reason)
REFUSED = (
    ("criminality",
     r"\b(criminals?|crim(e|es|inal\w*)|felon\w*|thie(f|ves)|terroris\w*|dangerous|violent|guilty|"
     r"trustworth\w*|untrustworth\w*|honesty|dishonest\w*|liars?|suspicious|gang\w*)\b",
     "Criminality, honesty or trustworthiness cannot be read from a face, and this app will not guess them."),
    ("religion",
     r"\b(relig\w*|muslim|islam\w*|christian\w*|jew|jews|jewish|hindu\w*|buddhis\w*|sikh|catholic|"
     r"protestant|atheist|god|faith|mormon)\b",
     "Religion cannot be seen in a face, and this app will not guess it."),
    ("sexual_orientation",
     r"\b(gay|lesbian|homosexual\w*|heterosexual\w*|bisexual\w*|queer|sexual orientation|"
     r"sexuality|orientation|straight(?! hair))\b",
     "Sexual orientation cannot be seen in a face, and this app will not guess it."),
    ("gender_identity",
     r"\b(transgender|trans|non ?binary|nonbinary|cisgender|cis|gender identity|identif(y|ies) as)\b",
     "Gender identity cannot be seen in a face. The gender models only output the "
     "Male/Female label they were trained on, which is not how a person identifies."),
    ("attractiveness",
     r"\b(attractive\w*|beautiful|beauty|pretty(?! (old|young|sure|likely|much))|handsome|ugly|"
     r"hot|cute|sexy|gorgeous|good looking|(good|nice) looking|looks good|rate (her|his|their) looks)\b",
     "Attractiveness is a matter of taste, not a property of a face, and this app will not rate it."),
    ("intelligence",
     r"\b(intelligen\w*|smart|stupid|dumb|iq|clever|educated|education)\b",
     "Intelligence and education cannot be read from a face, and this app will not guess them."),
    ("politics",
     r"\b(politic\w*|democrat\w*|republican\w*|liberal|conservative|vote\w*|voter)\b",
     "Political views cannot be seen in a face, and this app will not guess them."),
    ("health",
     r"\b(sick|ill|illness|disease\w*|disab\w*|health\w*|pregnan\w*|autis\w*|disorder|mental\w*|"
     r"depress\w*|diagnos\w*)\b",
     "This app does not make medical guesses from a face."),
    ("wealth",
     r"\b(rich|wealth\w*|income|salary|money|social class|poor|poverty|homeless)\b",
     "Wealth and social class cannot be read from a face, and this app will not guess them."),
    ("immigration",
     r"\b(illegal|immigra\w*|undocumented|refugee|alien|legal status|citizenship|passport)\b",
     "Immigration or citizenship status cannot be seen in a face, and this app will not guess it."),
    ("personality",
     r"\b(personality|character|kind person|nice person|good person|bad person|evil|friendly)\b",
     "Personality and character cannot be read from a face, and this app will not guess them."),
)

# Questions this app does not cover. They are not refused outright: if the
# question also asks about race, gender or age, that part is answered and the
# rest is named in Intent.notes. (topic, pattern, reason)
NATIONALITIES = (
    r"chinese|japanese|korean|vietnamese|filipin[oa]|thai|indonesian|malaysian|mexican|"
    r"(?<!african )american|canadian|british|english|french|german|italian|spanish|russian|"
    r"nigerian|kenyan|ethiopian|brazilian|colombian|cuban|puerto rican|iranian|iraqi|turkish|"
    r"egyptian|pakistani|bangladeshi|sri lankan|irish|polish|swedish|dutch|australian"
)
OUT_OF_SCOPE = (
    ("race_category",
     r"\b(native americans?|american indians?|indigenous|aboriginal|pacific islanders?|first nations?|"
     r"mixed race|mixed|biracial|multiracial|multi racial)\b",
     "The race models only know the categories they were trained on (FairFace's 7: White, Black, "
     "Latino_Hispanic, East Asian, Southeast Asian, Indian, Middle Eastern); that group is not one of "
     "them. Ask 'What race is this person?' to see how they label the face."),
    ("nationality",
     rf"\b(nationality|nationalities|country|countries|where \w+(?: \w+)? from|from where|"
     rf"which continent|{NATIONALITIES})\b",
     "Nationality and where someone is from cannot be seen in a face. The race models "
     "predict a FairFace category instead: ask 'What race is this person?'."),
    ("name",
     r"\b(name|named|who is (this|that|he|she|it|the \w+)|who (are|is) (they|them)|who|"
     r"identify|identity|famous|celebrity|recogni[sz]e)\b",
     "This app does not recognise people or know their names; it only estimates race, gender and age."),
    ("body",
     r"\b(tall|short|height|weigh\w*|fat|thin|skinny|overweight|obese|bmi|muscular|fit)\b",
     "Height, weight and build cannot be read from a face crop; this app only estimates race, gender and age."),
    ("appearance",
     r"\b(skin (colou?r|tone)|colou?r of (her|his|their|the) skin|(colou?r|tone) is (her|his|their|the) skin|"
     r"complexion)\b",
     "This app does not describe skin tone: the race models give their own categories instead, and a "
     "general model's guess at skin tone would be a guess at race by another name."),
    ("place",
     r"\b(where (was|is|were|are) (this|the (photo|picture|image))|where|location|place|taken|"
     r"city)\b",
     "This app looks only at the face, not at where the photo was taken."),
    ("job",
     r"\b(job|occupation|profession|for a living|works as|career)\b",
     "A person's job cannot be seen in a face; this app only estimates race, gender and age."),
)

# Benign visual questions that no face model answers, but a general visual
# question answering model does (vqa.general, switched on with --vqa-model):
# they route to the kind "general". Checked after OUT_OF_SCOPE, which wins:
# a question that is also about a name or a nationality is not sent anywhere.
# (topic, pattern, what it is about, for the message when the model is off)
GENERAL = (
    ("expression",
     r"\b(emotions?|emotional|feel\w*|mood|happy|sad|angry|upset|smil\w*|cry\w*|laugh\w*|"
     r"scared|afraid|surprised|disgust\w*|tired|expression|bored|frown\w*)\b",
     "facial expressions"),
    ("clothing",
     r"\b(wear\w*|shirt|dress|clothes|clothing|jacket|hat|coat|suit|tie|outfit|uniform|"
     r"jewel\w*|earrings?|helmet|spacesuit)\b",
     "clothing"),
    ("features",
     r"\b(hair|hairstyle|beard|moustache|mustache|bald|eyes?|eye colou?r|glasses|sunglasses|makeup|"
     r"tattoo\w*)\b",
     "hair, glasses and other visible features"),
    ("count",
     r"\bhow many (people|persons|faces|men|women|kids|children)\b",
     "counting people"),
    ("scene",
     r"\b(what is (in|on) (the|this) (photo|picture|image)|what is (he|she|it|the person) holding|holding|"
     r"indoors|outdoors|inside|outside|background|scenery|behind (her|him|them))\b",
     "what is in the picture"),
)
GENERAL_TOPICS = tuple(topic for topic, _, _ in GENERAL)
# What ask() says about a "general" question when no general model is on.
GENERAL_OFF = ("Only a general visual question answering model answers questions about {what}, and none is on: "
               "start the app with --vqa-model (python app.py --vqa-model {model}), add --vqa-model to "
               "python -m vqa, or pass general_vqa=True to ask().")
# The note on a face question that also asks about one of these.
GENERAL_NOTE = ("The face models do not answer questions about {what}; a general visual question answering "
                "model (--vqa-model) does, and its answer is shown beside theirs when it is on.")

# Colour words double as race words; after a clothing or features topic
# ("Is her shirt black?") they are read as colours, not as race.
COLOUR_TOPICS = ("clothing", "features", "appearance")

# ---------------------------------------------------------------------------
# Age bounds. Each row: (builder, pattern). Builders (in vqa/router.py) turn
# the captured numbers into inclusive year bounds (low, high); high None means
# open-ended. Ages are whole years, so "older than 30" starts at 31.
N = r"(\d{1,4})"
YEARS = r"(?: years?(?: old| of age)?| yrs?(?: old)?| y/?o)?"
AGE_OF = r"(?: the age of| age| aged)?"
AGE_BOUNDS = (
    ("range", rf"\b(?:between|from|aged?|ages) {N}{YEARS} (?:and|to) {N}{YEARS}\b"),
    ("range", rf"\b{N}\s*(?:-|to)\s*{N}{YEARS}\b"),
    ("at_most", rf"\b(?:at most|no older than|not older than|not over|not above|up to|"
                rf"not more than|no more than){AGE_OF} {N}{YEARS}\b"),
    ("at_least", rf"\b(?:at least|no younger than|not younger than|not under|not below|"
                 rf"not less than|no less than){AGE_OF} {N}{YEARS}\b"),
    ("at_least", rf"\b{N}{YEARS} (?:or|and) (?:older|over|above|up|more)\b(?! (?:than )?\d)"),
    ("at_most", rf"\b{N}{YEARS} (?:or|and) (?:younger|under|below|less)\b(?! (?:than )?\d)"),
    ("at_least", rf"\b{N}\s*\+"),
    ("above", rf"\b(?:older than|over|above|more than|greater than|past|beyond){AGE_OF} {N}{YEARS}\b"),
    ("below", rf"\b(?:younger than|under|below|less than|not yet){AGE_OF} {N}{YEARS}\b"),
    ("decade", r"\b(?:(early|mid|late)\s*)?(\d{0,2}0)s\b"),
    ("around", rf"\b(?:around|about|roughly|approximately|circa|close to|near){AGE_OF} {N}{YEARS}(?!\s*\+)\b"),
    ("exact", rf"\b{N} (?:years? old|years? of age|yrs?(?: old)?|y/?o)\b"),
    ("exact", rf"\baged? {N}\b"),
)
# Where inside a decade "early", "mid" and "late" fall (offsets from the decade).
DECADE_PARTS = {None: (0, 9), "early": (0, 3), "mid": (4, 6), "late": (7, 9)}
# "around 30" is read as 30 give or take this many years.
AROUND_YEARS = 2
MAX_AGE = 120

# ---------------------------------------------------------------------------
# Cues that ask an attribute openly. (attribute, pattern)
OPEN_CUES = (
    ("age", r"\bhow old\b"),
    ("age", r"\bhow many years(?: old)?\b"),
    ("age", r"\b(age group|age range|ages?)\b"),
    ("age", r"\b(born|birth\w*|year of birth)\b"),
    ("gender", r"\b(genders?|sex|gendered)\b"),
    ("race", r"\b(ethnic background|racial background|(?<!mixed )races?|racial\w*|ethnicit\w*|ethnic\w*"
             r"|heritage|ancestry|descent)\b"),
)
# Cues that ask for everything at once.
ALL_CUES = (r"\b(describe|description|demographics?|demographic info\w*|everything|all attributes|tell me about"
            r"|analy[sz]e|profile)\b")

# Life stages, read as age bounds: (low, high, pattern). Checked after OPEN_CUES
# so that "how old" has already been consumed before "old" is looked for.
AGE_STAGES = (
    (18, 29, r"\byoung adults?\b"),
    (40, 59, r"\bmiddle aged?\b"),
    (0, 1, r"\b(babies|baby|infants?|newborns?)\b"),
    (1, 3, r"\btoddlers?\b"),
    (13, 19, r"\b(in (her|his|their) teens|teens?|teenagers?|teenaged?|adolescents?)\b"),
    (0, 12, r"\b(child|children|kids?|little one|preschooler|schoolchild)\b"),
    (0, 17, r"\b(minors?|underage|under age)\b"),
    (18, None, r"\b(adults?|grown ups?|grownups?)\b"),
    (60, None, r"\b(elderly|seniors?|senior citizens?|old|pensioners?|retirees?|aged person)\b"),
    (0, 29, r"\b(young|youthful)\b"),
)
# A bare number ("Is she 30?") is an age only when nothing else asked for age.
BARE_AGE = rf"\b{N}\b(?! ?(?:foot|feet|ft|cm|centimet\w*|met(?:er|re)s?|m|kg|kilo\w*|lbs?|pounds?|inch\w*|%|percent))"

# ---------------------------------------------------------------------------
# Class words: (attribute, value, pattern). Values are FairFace's exact label
# strings, except "Asian", which models.labels does not have as a FairFace
# class: vqa.answers sums East Asian + Southeast Asian for it, and says so.
CLASS_WORDS = (
    ("race", "Southeast Asian", r"\bsouth ?east asians?\b"),
    ("race", "East Asian", r"\beast asians?\b"),
    ("race", "Indian", r"\b(south asians?|indians?|desi)\b"),
    ("race", "Asian", r"\basians?\b"),
    ("race", "Middle Eastern", r"\b(middle eastern\w*|arab|arabs|arabic|mid eastern)\b"),
    ("race", "Latino_Hispanic",
     r"\b(latino|latina|latinos|latinas|latinx|latine|hispanics?|latin american|latino hispanic)\b"),
    ("race", "Black", r"\b(black|african american|african)\b"),
    ("race", "White", r"\b(white|caucasian|european)\b"),
    ("gender", "Male", r"\b(male|man|men|boys?|guys?|gentlem[ae]n|dude|masculine)\b"),
    ("gender", "Female", r"\b(female|woman|women|girls?|lad(y|ies)|gals?|feminine)\b"),
)
COLOUR_VALUES = ("Black", "White")

# A class word right after one of these names the person being asked about
# ("How old is this woman?") rather than asking whether she is one.
REFERENT_WORDS = ("this", "that", "the", "these", "those")
# Nouns close such a phrase: in "this Asian man" the race word is part of it,
# in "Is the man Asian?" the race word after the noun is what is asked.
REFERENT_NOUNS = (
    r"(man|men|boys?|guys?|gentlem[ae]n|dude|woman|women|girls?|lad(y|ies)|gals?|"
    r"babies|baby|infants?|newborns?|toddlers?|teens?|teenagers?|adolescents?|child|children|kids?|"
    r"minors?|adults?|seniors?|pensioners?|retirees?)"
)
# A mention right after one of these is negated: "Is this person not a man?", "not in her 30s",
# "a non-white person". Contracted negation before the subject ("Isn't she Asian?", expanded to
# "is not she asian") asks whether she is, as English speakers mean it, and is not matched.
NEGATION = r"\b(?:not|non) (?:(?:really|actually|exactly|quite|even) )?(?:a |an |in (?:her|his|their) )?$"
# Negations that can be read two ways; a yes/no question with one is refused with a rephrasing.
# A negation in front of two words that both ask ("not an Asian woman": not Asian, not a woman,
# or not both?) is found by the router.
AMBIGUOUS_NEGATION = r"\b(?:neither|nor)\b|\b(?:not|no) (?:\w+ )?not\b"
AMBIGUOUS_NEGATION_REASON = (
    "That negation can be read two ways, and this app will not guess which you meant: ask without it, "
    "one thing at a time, for example {example}; the answer's yes or no then says whether it is."
)

# ---------------------------------------------------------------------------
# Typing as people type. SHORTHAND: chat spellings and the commonest slips in
# words too short to correct by edit distance, spelled out before anything else
# reads the question ("hw old is she" asks her age; it is not "old is she").
SHORTHAND = (
    (r"\b(?:hw|hiw|hpw|hoe|hwo|haw|ho|hoow|hoq)\s*old\b", "how old"),
    (r"\b(older|younger|more|less|greater|bigger) then\b", r"\1 than"),
    (r"\bhowold\b", "how old"),
    (r"\b(?:wat|wht|wut|whta|waht|wha)\b", "what"),
    (r"\bwats\b", "what is"),
    (r"\bu\b", "you"), (r"\br\b", "are"), (r"\bur\b", "your"),
    (r"\b(?:pls|plz|plse|pleas)\b", "please"),
    (r"\bppl\b", "people"),
    (r"\bm ?(?:or|/) ?f\b", "male or female"),
    (r"\b(?:grl|gurl)\b", "girl"), (r"\bboi\b", "boy"),
    (r"\b(\d{1,3}) ?y o\b", r"\1 yo"),
    (r"\bnon(white|black|asian|hispanic|latino|latina|male|female|binary)\b", r"non \1"),
)
# Misspelt keywords ("gendr", "etnicity", "femal") are corrected to these when
# they are one edit (a letter added, dropped, changed, or two swapped) away from
# exactly one of them, and only in words of FUZZY_MIN_LETTERS letters or more:
# a short word has too many real neighbours. No age word is here ("yung" is not
# read as "young"): an age bound never comes from a guessed word. Harmful
# topics' words are, so that a misspelt one is still refused.
FUZZY_MIN_LETTERS = 5
FUZZY_KEYWORDS = (
    "gender", "genders", "ethnicity", "ethnic", "ethnicities", "racial", "heritage", "ancestry", "demographics",
    "describe", "female", "woman", "women", "asian", "caucasian", "hispanic", "latino", "african", "indian",
    "black", "white",
    "criminal", "terrorist", "dangerous", "trustworthy", "religion", "religious", "muslim", "christian", "jewish",
    "buddhist", "catholic", "homosexual", "lesbian", "bisexual", "sexuality", "orientation", "transgender",
    "attractive", "beautiful", "handsome", "gorgeous", "intelligent", "intelligence", "stupid", "political",
    "politics", "republican", "democrat", "conservative", "pregnant", "disease", "disabled", "illness",
    "autistic", "depressed", "healthy", "wealthy", "immigrant", "illegal", "undocumented", "refugee",
    "personality", "violent",
)
# Real words one edit from a keyword, never corrected ("facial" is not "racial", "India" is not
# "Indian"): those of an English dictionary (104,000 words) that would have been, and a few more.
KNOWN_WORDS = frozenset((
    "roman", "while", "write", "whine", "whit", "whits", "whited", "whiten", "whiter", "waite", "back", "block",
    "blank", "slack", "flack", "clack", "asia", "aswan", "avian", "africa", "india", "indiana", "facial",
    "radial", "ethic", "artistic", "gander", "ganders", "fender", "fenders", "bender", "lender", "lenders",
    "mender", "menders", "render", "renders", "sender", "senders", "tender", "tenders", "vender", "venders",
    "genre", "hermitage", "refuge", "refuges", "latin", "patina", "violet", "muslin", "christina", "woken",
    "woven", "wotan", "meddle", "fiddle", "riddle",
))

# A question with no attribute cue but one of these is still about a face.
FILLER_WORDS = (r"\b(is|are|was|what|which|how|who|the|this|that|person|people|face|photo|picture|image"
                r"|he|she|they|it)\b")
