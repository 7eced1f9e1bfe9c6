import pytest

import simroute as sr


def test_the_seeds_six_compensation_pairs():
    assert dict(sr.COMPENSATIONS) == {
        "create_tenant_db": "delete_tenant_db", "create_realm": "delete_realm",
        "deploy_namespace": "destroy_namespace", "create_storage_bucket": "delete_storage_bucket",
        "provision_dns_record": "remove_dns_record", "send_notification": "send_cancellation_notice"}


def test_rollback_runs_in_reverse_order_of_completion():
    saga = sr.tenant_provisioning()
    completed = saga.steps[:2]  # step 3 (deploy_namespace) failed
    assert [(c, s.argument) for c, s in sr.rollback_plan(completed)] == [
        ("delete_realm", "acme-corp"), ("delete_tenant_db", "acme_corp")]
    # happy-path timeline 0 → 5 → 12 → 25 s
    ends = []
    t = 0.0
    for step in saga.steps:
        t += step.duration
        ends.append(t)
    assert ends == [5, 12, 25]


def test_unknown_action_has_no_compensation():
    with pytest.raises(sr.InputError, match="no compensation for action 'launch_rocket'"):
        sr.Saga("x", (sr.SagaStep(action="launch_rocket", plugin="p"),))
