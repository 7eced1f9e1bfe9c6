import pytest

import simroute as sr
from simroute.policies.classify import tokenize

from .conftest import REQUEST_1, REQUEST_2


def test_request_1_classifies_as_documented(catalog):
    c = sr.classify(REQUEST_1, catalog, sr.SEED_READING)
    assert c.domains == ("backend", "api", "database", "auth", "devops")
    assert c.keywords == ("fastapi", "mongodb", "keycloak", "k8s")
    assert c.patterns == ("rest-api", "jwt-auth", "deployment")
    assert c.complexity == "complex"
    assert c.urgency == 5
    assert c.est_duration == 45 * 60


def test_request_2_classifies_as_documented(catalog):
    c = sr.classify(REQUEST_2, catalog, sr.SEED_READING)
    assert c.domains == ("frontend", "ui")
    assert c.contexts == ("react", "jsx", "a11y")
    assert c.patterns == ("component-generation",)
    assert c.complexity == "moderate"
    # the seed's registry query: contexts [react, a11y], keywords [component, accessibility]
    assert c.query_contexts == ("react", "a11y")
    assert c.keywords == ("component", "accessibility")


def test_whole_words_only(catalog):
    assert sr.classify("build guide", catalog).domains == ()  # "ui" inside "build" / "guide"
    assert sr.classify("rebuild the UI", catalog).domains == ("ui",)
    assert "auth" not in sr.classify("an author writes", catalog).domains


def test_short_tokens_and_plurals(catalog):
    c = sr.classify("JWT for the API on k8s, ci/cd and components", catalog)
    assert {"auth", "api", "devops", "frontend"} <= set(c.domains)
    assert "kubernetes" in c.contexts and "deployment" in c.patterns
    assert tokenize("Deploy to K8s.") == ["deploy", "to", "k8s"]


@pytest.mark.parametrize("text, complexity", [
    ("fix the readme", "simple"),
    ("postgres schema for the backend", "moderate"),
    ("refactor the login", "complex"),  # complexity word
])
def test_complexity_rules(catalog, text, complexity):
    assert sr.classify(text, catalog).complexity == complexity


def test_urgency_words(catalog):
    assert sr.classify("hotfix the API asap", catalog).urgency == 9
    assert sr.classify("nothing known here", catalog).urgency == 5
    assert sr.classify("nothing known here", catalog).est_duration == 600
