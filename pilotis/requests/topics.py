# ruff: noqa: S608 - SQL is built from literals quoted by lit() and the period's own predicate
"""Subjects of discontent: a French text classifier that reads what people wrote.

It learns the tenant's own categories from its categorised history (description → category),
then puts the uncategorised requests into those categories, and says which words mark each one.

Why this model: TF-IDF of words (unigrams and bigrams, accents and stop words removed, see
`pilotis.requests.text`) and of character 3–5-grams inside words (people misspell: "lampadère",
"eclairrage" still share most of their trigrams with the right word), then a linear classifier
trained by stochastic gradient descent with the logistic loss (probabilities for the page, trains
in seconds on two cores). A stratified sample of at most `MAX_ROWS` descriptions is read (more adds
little accuracy and costs time); 20 % of it, stratified and seeded, is held out and the accuracy,
macro-F1 and per-class precision/recall shown on the page are measured on it. The model that is
used is the one measured (it is not re-fitted on the held-out part).

Character n-grams are computed once per distinct word and summed per description (a sparse
product), which gives exactly scikit-learn's `char_wb` features four times faster.

Personal data: descriptions are read in memory, never logged nor written. What a saved model holds
is its vocabulary: words and character n-grams seen in at least `min_df` distinct requests of the
training sample, after `text.words` removed e-mails, web addresses, anything with a digit (phone
and house numbers) and the names following a civility title. The key terms shown per topic are
unigrams and bigrams of that vocabulary, also seen in at least `min_df` requests of the topic.
The word-count vocabulary of the whole sample, which does hold rare words, is never kept.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.utils.translation import gettext as _
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import train_test_split

from pilotis.requests import text
from pilotis.requests.data import Database, Period, lit

SEED = 20240517
TEST_SHARE = 0.2
MAX_ROWS = 50_000  # descriptions read for training and evaluation together
MIN_DF = 5  # a word or n-gram seen in fewer distinct requests is not a feature
KEY_TERMS = 10
MIN_LIFT = 1.5  # a key term is this many times more frequent in its topic than overall
SPELLING_SAMPLE = 20_000  # raw descriptions read for the usual spelling of key terms
FORMAT = 1  # bump when the saved model's structure changes: old cache files are then ignored


class NotEnoughData(ValueError):
    """Too few categorised descriptions to learn (and measure) anything."""


@dataclass
class ClassScore:
    """How well one topic is recognised on the held-out requests."""

    precision: float
    recall: float
    f1: float
    support: int  # held-out requests of this topic


@dataclass
class TopicReport:
    """What the page shows about a trained model (JSON-serialisable with `dataclasses.asdict`)."""

    classes: list[str]
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScore]
    n_train: int
    n_test: int
    key_terms: dict[str, list[str]]
    min_df: int
    period: tuple[str, str] | None = None  # ISO dates of the training period, if one was given


class CharNgrams:
    """TF-IDF of character n-grams inside words, as `TfidfVectorizer(analyzer="char_wb")`.

    Each distinct word's n-grams are counted once, then summed per description through the
    description × word count matrix: descriptions repeat the same few thousand words, so this is
    much faster than cutting every description into n-grams."""

    def __init__(self, min_df: int, ngram_range: tuple[int, int] = (3, 5)) -> None:
        self.min_df = min_df
        self.ngram_range = ngram_range

    def _per_description(self, cleaned: Sequence[str], grams: CountVectorizer) -> sp.csr_matrix:
        words = CountVectorizer(analyzer=str.split, lowercase=False)
        try:
            counts = words.fit_transform(cleaned)
        except ValueError:  # no word at all
            return sp.csr_matrix((len(cleaned), len(grams.vocabulary or ())), dtype=np.float64)
        per_word = grams.transform(words.get_feature_names_out())
        return sp.csr_matrix(counts @ per_word)

    def fit_transform(self, cleaned: Sequence[str]) -> sp.csr_matrix:
        grams = CountVectorizer(analyzer="char_wb", ngram_range=self.ngram_range, lowercase=False)
        words = CountVectorizer(analyzer=str.split, lowercase=False)
        counts = words.fit_transform(cleaned)
        per_word = grams.fit_transform(words.get_feature_names_out())
        docs = sp.csr_matrix(counts @ per_word)
        df = np.bincount(docs.indices, minlength=docs.shape[1])
        keep = np.flatnonzero(df >= self.min_df)
        # A fresh vectorizer holding only the kept n-grams: rare ones (from rare words) are gone.
        self.grams = CountVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram_range,
            lowercase=False,
            vocabulary=list(grams.get_feature_names_out()[keep]),
        )
        docs = docs[:, keep]
        self.tfidf = TfidfTransformer(sublinear_tf=True).fit(docs)
        return sp.csr_matrix(self.tfidf.transform(docs))

    def transform(self, cleaned: Sequence[str]) -> sp.csr_matrix:
        return sp.csr_matrix(self.tfidf.transform(self._per_description(cleaned, self.grams)))


class TopicModel:
    """A trained classifier and its report. `predict` gives (topic, probability) per text."""

    def __init__(
        self,
        report: TopicReport,
        words: TfidfVectorizer,
        chars: CharNgrams,
        classifier: SGDClassifier,
    ) -> None:
        self.report = report
        self.words = words
        self.chars = chars
        self.classifier = classifier
        self.format = FORMAT

    @property
    def classes(self) -> list[str]:
        return self.report.classes

    @property
    def accuracy(self) -> float:
        return self.report.accuracy

    @property
    def macro_f1(self) -> float:
        return self.report.macro_f1

    @property
    def per_class(self) -> dict[str, ClassScore]:
        return self.report.per_class

    @property
    def n_train(self) -> int:
        return self.report.n_train

    @property
    def n_test(self) -> int:
        return self.report.n_test

    @property
    def key_terms(self) -> dict[str, list[str]]:
        return self.report.key_terms

    def features(self, cleaned: Sequence[str]) -> sp.csr_matrix:
        return sp.csr_matrix(
            sp.hstack([self.words.transform(cleaned), self.chars.transform(cleaned)])
        )

    def probabilities(self, texts: Sequence[str | None]) -> np.ndarray:
        """Probability of each class (columns in `classifier.classes_` order) for each text."""
        if not texts:
            return np.zeros((0, len(self.classifier.classes_)))
        proba: np.ndarray = self.classifier.predict_proba(self.features(text.clean_all(texts)))
        return proba

    def predict(self, texts: Sequence[str | None]) -> list[tuple[str, float]]:
        """The most probable topic of each text, with its probability."""
        return self._best(self.probabilities(texts))

    def predict_cleaned(self, cleaned: Sequence[str]) -> list[tuple[str, float]]:
        """`predict` for texts already through `text.clean`."""
        if not cleaned:
            return []
        return self._best(self.classifier.predict_proba(self.features(cleaned)))

    def _best(self, proba: np.ndarray) -> list[tuple[str, float]]:
        best = proba.argmax(axis=1)
        classes = list(self.classifier.classes_)
        return [(str(classes[i]), float(proba[row, i])) for row, i in enumerate(best)]


# --- reading the training data ---------------------------------------------------------------


def _where(period: Period | None) -> str:
    parts = ["category IS NOT NULL", "description IS NOT NULL"]
    if period is not None:
        parts.append(period.sql())
    return " AND ".join(parts)


def training_set(
    db: Database,
    period: Period | None = None,
    min_per_class: int = 20,
    max_rows: int = MAX_ROWS,
) -> tuple[list[str], list[str]]:
    """The (cleaned descriptions, categories) a model learns from and is measured on.

    Categories with fewer than `min_per_class` usable descriptions are left out: they could be
    neither learnt nor measured. Above `max_rows`, each category keeps a share proportional to its
    size (at least `min(size, 10 * min_per_class)`), picked by a hash of the request id — a
    stratified sample that is the same every time for the same data. Rows come in a fixed order,
    so the seeded split is reproducible. Descriptions are returned cleaned (`text.clean`).
    """
    _raw, cleaned, labels = _training_rows(db, period, min_per_class, max_rows)
    return cleaned, labels


def _training_rows(
    db: Database, period: Period | None, min_per_class: int, max_rows: int
) -> tuple[list[str], list[str], list[str]]:
    where = _where(period)
    sizes = {
        str(cat): int(n)
        for cat, n in db.rows(f"SELECT category, count(*) FROM requests WHERE {where} GROUP BY 1")
    }
    sizes = {cat: n for cat, n in sizes.items() if n >= min_per_class}
    total = sum(sizes.values())
    if total > max_rows:
        quotas = {
            cat: max(min(n, 10 * min_per_class), round(max_rows * n / total))
            for cat, n in sizes.items()
        }
    else:
        quotas = dict(sizes)
    if not quotas:
        return [], [], []
    cases = " ".join(f"WHEN {lit(cat)} THEN {q}" for cat, q in sorted(quotas.items()))
    categories = ", ".join(lit(cat) for cat in sorted(quotas))
    rows = db.rows(
        f"""
        SELECT category, description FROM (
            SELECT category, description,
                   row_number() OVER (
                       PARTITION BY category
                       ORDER BY md5(coalesce(service_request_id, '') || description), description
                   ) AS k
            FROM requests
            WHERE {where} AND category IN ({categories})
        ) AS sampled
        WHERE k <= CASE category {cases} ELSE 0 END
        ORDER BY category, k
        """
    )
    triples = [(str(d), text.clean(d), str(c)) for c, d in rows]
    triples = [t for t in triples if t[1]]  # nothing left once cleaned ("Bonjour, merci")
    kept = Counter(c for _r, _d, c in triples)
    triples = [t for t in triples if kept[t[2]] >= min_per_class]
    return [r for r, _d, _c in triples], [d for _r, d, _c in triples], [c for _r, _d, c in triples]


def split(
    texts: Sequence[str], labels: Sequence[str], seed: int = SEED
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Train texts, test texts, train labels, test labels: stratified, `TEST_SHARE` held out."""
    parts = train_test_split(
        list(texts), list(labels), test_size=TEST_SHARE, stratify=list(labels), random_state=seed
    )
    return parts[0], parts[1], parts[2], parts[3]


# --- training ----------------------------------------------------------------------------------


def train(
    db: Database,
    period: Period | None = None,
    min_per_class: int = 20,
    *,
    max_rows: int = MAX_ROWS,
    min_df: int = MIN_DF,
    seed: int = SEED,
    n_terms: int = KEY_TERMS,
) -> TopicModel:
    """Learn the tenant's categories from its categorised descriptions; measure on held-out ones.

    Raises `NotEnoughData` when fewer than two categories have `min_per_class` descriptions."""
    raw, texts, labels = _training_rows(db, period, min_per_class, max_rows)
    if len(set(labels)) < 2:
        raise NotEnoughData(
            _("At least two categories with %(n)d described requests each are needed.")
            % {"n": min_per_class}
        )
    train_texts, test_texts, train_labels, test_labels = split(texts, labels, seed)
    words = TfidfVectorizer(analyzer=text.ngrams, min_df=min_df, sublinear_tf=True)
    chars = CharNgrams(min_df=min_df)
    try:
        word_matrix = words.fit_transform(train_texts)
        char_matrix = chars.fit_transform(train_texts)
    except ValueError as error:  # no term is frequent enough
        raise NotEnoughData(_("The descriptions share too few words to learn from.")) from error
    features = sp.csr_matrix(sp.hstack([word_matrix, char_matrix]))
    classifier = SGDClassifier(
        loss="log_loss", alpha=1e-5, max_iter=10, tol=1e-3, random_state=seed, n_jobs=2
    )
    with warnings.catch_warnings():
        # Ten passes are enough for text; full convergence would cost seconds and no accuracy.
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(features, train_labels)
    model = TopicModel(
        TopicReport([], 0.0, 0.0, {}, len(train_texts), len(test_texts), {}, min_df),
        words,
        chars,
        classifier,
    )
    classes = [str(c) for c in classifier.classes_]
    predicted = [c for c, _p in model.predict_cleaned(test_texts)]
    precision, recall, f1, support = precision_recall_fscore_support(
        test_labels, predicted, labels=classes, zero_division=0
    )
    # Twice the terms wanted, for those `surface_forms` finds to hold a proper noun are dropped.
    terms = key_terms(model, word_matrix, train_labels, min_df, 2 * n_terms)
    # The usual spelling of the key terms, as found in raw descriptions of every topic.
    spelling = text.surface_forms(
        raw[:: max(1, len(raw) // SPELLING_SAMPLE)], {t for ts in terms.values() for t in ts}
    )
    model.report = TopicReport(
        classes=classes,
        accuracy=float(accuracy_score(test_labels, predicted)),
        macro_f1=float(np.mean(f1)),
        per_class={
            c: ClassScore(float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
            for i, c in enumerate(classes)
        },
        n_train=len(train_texts),
        n_test=len(test_texts),
        key_terms={
            c: [spelling[t] for t in ts if t in spelling][:n_terms] for c, ts in terms.items()
        },
        min_df=min_df,
        period=(period.start.isoformat(), period.end.isoformat()) if period else None,
    )
    return model


def key_terms(
    model: TopicModel,
    word_matrix: sp.csr_matrix,
    labels: Sequence[str],
    min_df: int,
    n_terms: int = KEY_TERMS,
) -> dict[str, list[str]]:
    """The words that most mark each topic (folded; `train` restores their usual spelling).

    A term (unigram or bigram; character n-grams are not readable) scores its coefficient in the
    classifier times the log of the number of training requests of the topic holding it: what
    pushes towards the topic *and* is common in it. A term must be seen in at least `min_df`
    requests of the topic, and be at least `MIN_LIFT` times more frequent in the topic than
    overall (words everyone writes are not marks of a topic). A bigram must be a phrase, not two
    words that met by chance: it must be in at least half the requests holding its rarer word
    ("nid de poule" is, "poule riverains" is not); it then replaces the unigrams it contains, and
    a term whose words are all in better-ranked terms is skipped."""
    vocabulary = [str(t) for t in model.words.get_feature_names_out()]
    index = {t: j for j, t in enumerate(vocabulary)}
    coef = np.asarray(model.classifier.coef_)[:, : len(vocabulary)]
    classes = [str(c) for c in model.classifier.classes_]
    if coef.shape[0] == 1:  # two classes: one coefficient row, for the second class
        coef = np.vstack([-coef[0], coef[0]])
    present = sp.csr_matrix(word_matrix > 0, dtype=np.int32)
    label_array = np.asarray(labels)
    overall = np.asarray(present.sum(axis=0)).ravel() / max(len(labels), 1)
    chosen: dict[str, list[str]] = {}
    for row, cls in enumerate(classes):
        members = label_array == cls
        in_class = np.asarray(present[members].sum(axis=0)).ravel()
        lift = in_class / max(int(members.sum()), 1) / np.maximum(overall, 1e-12)
        score = np.where((coef[row] > 0) & (lift >= MIN_LIFT), coef[row] * np.log1p(in_class), 0.0)
        picked: list[str] = []
        for j in np.argsort(-score, kind="stable"):
            if score[j] <= 0 or len(picked) >= n_terms:
                break
            term = vocabulary[j]
            parts = term.split()
            if in_class[j] < min_df or len(term) < 3:
                continue
            if len(parts) == 2:
                rarer = min(in_class[index[w]] if w in index else in_class[j] for w in parts)
                if in_class[j] < 0.5 * rarer:
                    continue
            covered = {w for t in picked for w in t.split()}
            if set(parts) <= covered:
                continue
            if len(parts) == 2:
                picked = [t for t in picked if t not in parts]
            picked.append(term)
        chosen[cls] = picked
    return chosen


# --- using the model ---------------------------------------------------------------------------


@dataclass
class Example:
    service_request_id: str
    probability: float
    excerpt: str  # the description with e-mails, phones and titled names masked


@dataclass
class TopicCount:
    topic: str
    count: int
    share: float  # of the confidently classified requests
    examples: list[Example] = field(default_factory=list)


@dataclass
class UncategorisedSummary:
    """Where the uncategorised requests would go (JSON-serialisable with `dataclasses.asdict`).

    It holds short masked excerpts of descriptions: show it, do not store it beyond the page's
    own cache."""

    total: int  # uncategorised requests with a description
    classified: int  # how many of them were read (the most recent, up to `limit`)
    uncertain: int  # read but no topic reached `min_confidence`
    min_confidence: float
    topics: list[TopicCount]


def classify_uncategorised(
    db: Database,
    model: TopicModel,
    limit: int = 5000,
    *,
    period: Period | None = None,
    min_confidence: float = 0.5,
    examples: int = 3,
) -> UncategorisedSummary:
    """Predict a topic for the most recent uncategorised requests and count them per topic.

    Predictions below `min_confidence` are counted as uncertain rather than forced into a topic.
    Examples are the most confident predictions of each topic."""
    where = ["category IS NULL", "description IS NOT NULL"]
    if period is not None:
        where.append(period.sql())
    condition = " AND ".join(where)
    total = int(db.rows(f"SELECT count(*) FROM requests WHERE {condition}")[0][0])
    rows = db.rows(
        f"""
        SELECT service_request_id, description FROM requests WHERE {condition}
        ORDER BY requested_datetime DESC, service_request_id LIMIT {int(limit)}
        """
    )
    predictions = model.predict([d for _id, d in rows])
    by_topic: dict[str, list[tuple[float, str, str]]] = {}
    uncertain = 0
    for (request_id, description), (topic, probability) in zip(rows, predictions, strict=True):
        if probability < min_confidence or not text.words(description):
            uncertain += 1
            continue
        by_topic.setdefault(topic, []).append((probability, str(request_id), description))
    confident = len(rows) - uncertain
    topics = []
    for topic, items in sorted(by_topic.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        items.sort(key=lambda item: (-item[0], item[1]))
        topics.append(
            TopicCount(
                topic=topic,
                count=len(items),
                share=len(items) / confident,
                examples=[Example(i, round(p, 3), text.mask(d)) for p, i, d in items[:examples]],
            )
        )
    return UncategorisedSummary(total, len(rows), uncertain, min_confidence, topics)


# --- keeping a trained model -------------------------------------------------------------------


def cache_path(
    tenant_codes: Sequence[str], version: int | str, period: Period | None = None
) -> Path:
    """Where the model of these tenants' requests table at `version` is kept, under VAR_DIR."""
    key = "+".join(sorted(tenant_codes)) + f"@{version}"
    if period is not None:
        key += f":{period.start.isoformat()}:{period.end.isoformat()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return Path(settings.VAR_DIR) / "models" / "topics" / f"v{FORMAT}-{digest}.joblib"


def trained(tenant_codes: Sequence[str]) -> TopicModel | None:
    """The model of these tenants' requests as they are now (all of them, whatever a page
    filters): trained once per version of their tables and kept on disk; None when there are
    too few categorised descriptions to learn from."""
    from pilotis.requests.data import Scope, connect
    from pilotis.warehouse import storage

    codes = tuple(tenant_codes)
    versions = ",".join(f"{c}:{storage.current_version(c, 'requests')}" for c in codes)
    path = cache_path(codes, hashlib.sha256(versions.encode()).hexdigest()[:16])
    model = load(path)
    if model is None:
        db = connect(Scope(codes))
        try:
            model = train(db)
        except NotEnoughData:
            return None
        finally:
            db.con.close()
        save(model, path)
    return model


def save(model: TopicModel, path: Path) -> None:
    """Write the model (its vocabulary, coefficients and report; no description) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    joblib.dump(model, temporary, compress=3)
    temporary.replace(path)


def load(path: Path) -> TopicModel | None:
    """The model saved at `path`, or None when there is none or it has an older format.

    Unpickling runs code: only load files Pilotis wrote itself (under VAR_DIR)."""
    if not path.exists():
        return None
    model: Any = joblib.load(path)  # noqa: S301 - our own cache file
    if not isinstance(model, TopicModel) or getattr(model, "format", None) != FORMAT:
        return None
    return model
