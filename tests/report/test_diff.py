from routesim.report.diff import diff_reports


def report(seconds=1.0, metric=2, gw="10.0.0.2", ev_seconds=0.5, converged=True):
    return {
        "topology": {"digest": "abc"},
        "convergence": {"converged": converged, "seconds": seconds},
        "tables": {
            "r1": {
                "routes": {
                    "rib": [
                        {
                            "prefix": "10.9.0.0/16",
                            "protocol": "rip",
                            "metric": metric,
                            "selected": True,
                            "next_hops": [{"gateway": gw, "interface": "r2"}],
                        },
                        {
                            "prefix": "10.8.0.0/16",
                            "protocol": "rip",
                            "metric": 9,
                            "selected": False,
                            "next_hops": [],
                        },
                    ]
                }
            }
        },
        "events": [
            {
                "index": 0,
                "description": "fail link l1",
                "converged": True,
                "convergence_seconds": ev_seconds,
                "probes": [{"lost": 3}],
            }
        ],
        "exit_code": 0 if converged else 1,
    }


def test_identical_reports_have_no_regression():
    assert diff_reports(report(), report()).regressions == 0


def test_changed_route_is_a_regression_naming_router_and_prefix():
    d = diff_reports(report(), report(metric=3, gw="10.0.0.6"))
    assert d.regressions == 1
    assert any("r1 10.9.0.0/16: rip metric 2 via 10.0.0.2 -> rip metric 3 via 10.0.0.6" in x for x in d.lines)


def test_slower_convergence_beyond_tolerance_is_a_regression_but_noise_is_not():
    assert diff_reports(report(ev_seconds=0.5), report(ev_seconds=0.6)).regressions == 0  # +0.1 s: noise
    d = diff_reports(report(ev_seconds=0.5), report(ev_seconds=3.0))
    assert d.regressions == 1 and any("event 1" in x and "REGRESSION" in x for x in d.lines)
    assert diff_reports(report(ev_seconds=3.0), report(ev_seconds=0.5)).regressions == 0  # faster is fine


def test_lost_convergence_is_a_regression():
    d = diff_reports(report(), report(converged=False))
    assert d.regressions >= 2  # converged flag and exit code
