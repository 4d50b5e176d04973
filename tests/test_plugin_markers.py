"""Linking tests to items: markers added automatically, selection with -m, errors on bad ids."""

from __future__ import annotations

import pytest

from tests.conftest import results, statuses

LINKED = """
import pytest

@pytest.mark.checklist("pre.unit")
def test_unit(): pass

@pytest.mark.checklist("post.home")
@pytest.mark.smoke
def test_home(): pass

@pytest.mark.checklist("post.search")
def test_search(): pass

@pytest.mark.checklist("post.headers")
def test_headers(): pass

class TestCheckout:
    pytestmark = pytest.mark.checklist("post.checkout")

    def test_pay(self): pass
    def test_refund(self): pass

def test_unlinked(): pass
"""


@pytest.mark.parametrize(
    ("expr", "selected"),
    [
        ("predeploy", {"test_unit"}),
        ("postdeploy and security", {"test_headers"}),
        ("critical", {"test_home", "test_headers"}),
        ("smoke", {"test_home"}),
        ("functionality and high", {"test_search", "test_pay", "test_refund"}),
        ("not postdeploy", {"test_unit", "test_unlinked"}),
    ],
)
def test_items_get_phase_category_and_severity_markers(
    project: pytest.Pytester, expr: str, selected: set[str]
) -> None:
    project.makepyfile(test_linked=LINKED)
    result = project.runpytest("-m", expr, "--strict-markers", "-v")
    passed = {line.split("::")[-1].split(" ")[0] for line in result.outlines if "PASSED" in line}
    assert passed == selected


def test_module_and_class_marks_link_every_test(project: pytest.Pytester) -> None:
    project.makepyfile(test_linked=LINKED)
    project.runpytest()
    data = results(project)
    checkout = next(i for i in data["checklist"] if i["id"] == "post.checkout")
    assert [t.split("::", 1)[1] for t in checkout["tests"]] == [
        "TestCheckout::test_pay",
        "TestCheckout::test_refund",
    ]


def test_items_not_matching_the_phase_are_listed_as_skip(project: pytest.Pytester) -> None:
    project.makepyfile(test_linked=LINKED)
    project.runpytest("-m", "predeploy")
    data = results(project)
    assert len(data["checklist"]) == 6
    status = statuses(data)
    assert status["pre.unit"] == "pass"
    assert status["pre.lint"] == "warn" or status["pre.lint"] == "uncovered"
    assert {status[i] for i in ("post.home", "post.search", "post.headers")} == {"skip"}
    in_scope = {i["id"] for i in data["checklist"] if i["in_scope"]}
    assert in_scope == {"pre.unit", "pre.lint"}


def test_smoke_run_only_covers_the_linked_items(project: pytest.Pytester) -> None:
    project.makepyfile(test_linked=LINKED)
    result = project.runpytest("-m", "smoke")
    assert result.ret == 0
    data = results(project)
    assert data["phase"] == "smoke"
    assert data["verdict"] == "GO"
    assert [i["id"] for i in data["checklist"] if i["in_scope"]] == ["post.home"]


def test_unknown_id_is_an_error_naming_the_closest_ids(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_typo="""
import pytest

@pytest.mark.checklist("post.headrs")
def test_x(): pass
"""
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*checklist.md*",
            "*test_typo.py::test_x: checklist id 'post.headrs' is not in the checklist; "
            "closest: post.headers*",
        ]
    )


def test_duplicate_id_in_the_checklist_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".md",
        checklist="## Post-Deployment Checks\n- [ ] A <!-- id: x -->\n- [ ] B <!-- id: x -->\n",
    )
    pytester.makepyfile(test_a="def test_a(): pass")
    result = pytester.runpytest("--checklist", "checklist.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*checklist.md:3: duplicate item id 'x' (first used on line 2)*", "*fix: *"]
    )


def test_bad_config_value_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyprojecttoml(
        '[tool.pytest_release]\nchecklist = "checklist.md"\nhigh_priority_treshold = 3\n'
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown key 'high_priority_treshold'*did you mean*"])


def test_plugin_stays_out_of_projects_without_a_checklist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a(): pass")
    result = pytester.runpytest()
    assert result.ret == 0
    assert not (pytester.path / "reports").exists()
    assert "pytest-release verdict" not in result.stdout.str()


def test_markers_are_registered_with_help(project: pytest.Pytester) -> None:
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.checklist(id, [*]ids): link this test to checklist items*",
            "@pytest.mark.smoke: the fast critical subset*",
            "@pytest.mark.postdeploy:*",
            "@pytest.mark.critical: checklist severity",
            "@pytest.mark.functionality: checklist category*",
        ]
    )


def test_results_are_right_under_xdist_and_workers_write_nothing(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_linked=LINKED.replace("def test_search(): pass", "def test_search(): assert 0, 'x'")
    )
    result = project.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=1)
    data = results(project)
    assert statuses(data)["post.search"] == "fail"
    assert statuses(data)["post.home"] == "pass"
    assert len(data["tests"]) == 7
    search = next(t for t in data["tests"] if t["nodeid"].endswith("test_search"))
    assert search["checklist"] == ["post.search"]
    assert search["message"].startswith("AssertionError: x")
    written = sorted(p.name for p in (project.path / "reports").iterdir())
    assert written == ["checklist.md", "junit.xml", "report.html", "results.json"]
