"""The seed's pure policies: what the orchestrator decides, with no SimPy and no pandas.

* ``catalog`` — plugins, agents, model tiers and the lexicon, as frozen validated data;
* ``words`` — free text split into words (requests, descriptions);
* ``classify`` — a request's domains, complexity and intent; how it is read (:class:`Reading`);
* ``vocabulary`` — the catalog vocabulary: keywords, phrases, synonyms, misspellings;
* ``scoring`` — capability scores of plugins (and agents) for a classification;
* ``discovery`` — finding agents and building a team;
* ``plan`` — plans and their phases (sequential, parallel, conditional);
* ``routing`` — the routing decision: primary, fallbacks, collaboration plan;
* ``cost`` — the budget-driven cost optimizer;
* ``saga`` — sagas and their compensations;
* ``modelgroups`` — an LLM router's model groups and deployments;
* ``strategies`` — how an LLM router picks a deployment (LiteLLM's routing strategies).

May import: ``common``, ``resilience``.
"""
