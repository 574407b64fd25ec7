import json

import pytest
from packaging.version import Version

from pinlab.advisories import AdvisoryDatabase, AdvisoryError, load_advisories, parse_advisory


def record(*ranges, versions=(), name="toyhost", withdrawn=None, ident="TOY-1", extra_affected=()):
    """An OSV record for one PyPI package, with ECOSYSTEM ranges given as lists of events."""
    data = {
        "id": ident,
        "modified": "2026-06-20T09:00:00Z",
        "summary": "a toy vulnerability",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": list(events)} for events in ranges],
                "versions": list(versions),
            },
            *extra_affected,
        ],
    }
    if withdrawn:
        data["withdrawn"] = withdrawn
    return data


def affected_versions(data, candidates, name="toyhost"):
    advisory = parse_advisory(data)
    return [version for version in candidates if advisory.affects(name, version)]


def test_introduced_zero_and_fixed_with_a_pre_release_boundary():
    data = record([{"introduced": "0"}, {"fixed": "1.0a28"}])
    candidates = ["0.1", "1.0a1", "1.0a27", "1.0a28", "1.0a29", "1.0b1", "1.0rc1", "1.0", "2.0"]
    assert affected_versions(data, candidates) == ["0.1", "1.0a1", "1.0a27"]


def test_introduced_at_a_version():
    data = record([{"introduced": "1.0a20"}, {"fixed": "1.0a28"}])
    assert affected_versions(data, ["1.0a19", "1.0a20", "1.0a27", "1.0a28"]) == ["1.0a20", "1.0a27"]


def test_last_affected_includes_that_version_and_nothing_after():
    data = record([{"introduced": "0"}, {"last_affected": "1.0a27"}])
    candidates = ["1.0a26", "1.0a27", "1.0a27.post1", "1.0a28", "1.0rc1"]
    assert affected_versions(data, candidates) == ["1.0a26", "1.0a27"]


def test_limit_cuts_a_range_and_star_means_no_limit():
    limited = record([{"introduced": "1.0"}, {"limit": "2.0"}])
    assert affected_versions(limited, ["0.9", "1.0", "1.5", "2.0", "3.0"]) == ["1.0", "1.5"]
    unlimited = record([{"introduced": "1.0"}, {"limit": "*"}])
    assert affected_versions(unlimited, ["0.9", "1.0", "1.5", "2.0", "3.0"]) == ["1.0", "1.5", "2.0", "3.0"]


def test_an_explicit_versions_list_matches_those_releases_only():
    data = record(versions=["1.0a27", "0.9"])
    assert affected_versions(data, ["0.9", "0.9.0", "1.0a26", "1.0.0a27", "1.0a28"]) == ["0.9", "0.9.0", "1.0.0a27"]


def test_two_ranges_in_one_record():
    data = record([{"introduced": "0"}, {"fixed": "1.0a28"}], [{"introduced": "2.0"}, {"fixed": "2.1"}])
    candidates = ["1.0a27", "1.0a28", "1.5", "2.0", "2.0.1", "2.1", "3.0"]
    assert affected_versions(data, candidates) == ["1.0a27", "2.0", "2.0.1"]


def test_two_intervals_in_one_range_in_any_order():
    data = record([{"fixed": "2.1"}, {"introduced": "2.0"}, {"fixed": "1.0a28"}, {"introduced": "0"}])
    assert affected_versions(data, ["1.0a27", "1.0a28", "1.5", "2.0", "2.1"]) == ["1.0a27", "2.0"]


def test_several_affected_entries_each_for_its_own_package():
    other = {"package": {"ecosystem": "PyPI", "name": "toyhost-export"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.3a2"}]}]}
    advisory = parse_advisory(record([{"introduced": "0"}, {"fixed": "1.0a28"}], extra_affected=[other]))
    assert advisory.affects("toyhost", "1.0a27") and not advisory.affects("toyhost", "1.0a28")
    assert advisory.affects("toyhost-export", "0.3a1") and not advisory.affects("toyhost-export", "0.3a2")
    assert advisory.fixed_versions("toyhost-export") == (Version("0.3a2"),)


def test_other_ecosystems_and_git_ranges_say_nothing_about_pypi_versions():
    npm = {"package": {"ecosystem": "npm", "name": "toyhost"},
           "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}
    data = record([{"introduced": "0"}, {"fixed": "1.0a28"}], extra_affected=[npm])
    data["affected"][0]["ranges"].append({"type": "GIT", "repo": "https://example.invalid/toyhost",
                                          "events": [{"introduced": "0"}, {"fixed": "abc123"}]})
    assert affected_versions(data, ["1.0a27", "1.0a28", "2.0"]) == ["1.0a27"]


def test_names_are_compared_after_pep_503_normalisation():
    advisory = parse_advisory(record([{"introduced": "0"}], name="Toy_Host.Export"))
    for spelling in ["toy-host-export", "TOY.HOST_EXPORT", "toy__host--export"]:
        assert advisory.affects(spelling, "1.0"), spelling
    assert not advisory.affects("toyhost-export", "1.0")


def test_a_withdrawn_record_is_left_out_of_query_results():
    live = parse_advisory(record([{"introduced": "0"}, {"fixed": "1.0a28"}], ident="TOY-LIVE"))
    gone = parse_advisory(record([{"introduced": "0"}], ident="TOY-GONE", withdrawn="2026-06-21T00:00:00Z"))
    database = AdvisoryDatabase((live, gone))
    assert gone.affects("toyhost", "1.0a27")  # its ranges still say so ...
    assert [a.id for a in database.query("toyhost", "1.0a27")] == ["TOY-LIVE"]  # ... but it is withdrawn
    assert database.query("toyhost", "1.0a28") == ()
    assert [a.id for a in database.query("toyhost")] == ["TOY-LIVE"]


def test_the_kit_advisory_describes_the_toy_vulnerability():
    database = load_advisories()
    assert database.problems == ()
    (advisory,) = database.advisories
    assert (advisory.id, advisory.aliases, advisory.source) == ("TOYSEC-2026-1", ("TOY-CVE-2026-0027",), "TOYSEC-2026-1.json")
    assert [str(v) for v in advisory.fixed_versions("toyhost")] == ["1.0a28"]
    assert [a.id for a in database.query("toyhost", "1.0a27")] == ["TOYSEC-2026-1"]
    assert database.query("toyhost", "1.0a28") == database.query("toyhost", "2.0") == ()


def test_a_malformed_record_is_reported_by_file_name_and_the_others_still_load(tmp_path):
    good = record([{"introduced": "0"}, {"fixed": "1.0a28"}], ident="TOY-GOOD")
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "broken.json").write_text('{"id": "TOY-2"')
    bad_version = record([{"introduced": "0"}, {"fixed": "soon"}], ident="TOY-3")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad-version.json").write_text(json.dumps(bad_version))
    (tmp_path / "no-id.json").write_text(json.dumps({"modified": "2026-06-20T09:00:00Z"}))
    (tmp_path / "zz-copy.json").write_text(json.dumps(good))
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "notes.txt").write_text("not a record, not read")

    database = load_advisories(tmp_path)

    assert [a.id for a in database.advisories] == ["TOY-GOOD"]
    assert [str(problem) for problem in database.problems] == [
        "broken.json: invalid JSON: Expecting ',' delimiter: line 1 column 15 (char 14)",
        "list.json: the record is a JSON list, not an object",
        "no-id.json: 'id' must be a non-empty string, not None",
        "sub/bad-version.json: affected[0].ranges[0].events[1].fixed: invalid version 'soon'",
        "zz-copy.json: duplicate id 'TOY-GOOD' (already loaded from good.json)",
    ]


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.update(modified="yesterday"),
     "'modified' must be an RFC 3339 time in UTC such as '2026-06-25T00:00:00Z', not 'yesterday'"),
    (lambda r: r.update(aliases="CVE-1"), "'aliases' must be a list of strings"),
    (lambda r: r["affected"][0].pop("package"), "affected[0] has no 'package' object"),
    (lambda r: r["affected"][0]["package"].update(name=""),
     "affected[0].package.name must be a non-empty string, not ''"),
    (lambda r: r["affected"][0]["ranges"][0].update(type="DATES"),
     "affected[0].ranges[0].type must be one of ECOSYSTEM, SEMVER, GIT, not 'DATES'"),
    (lambda r: r["affected"][0]["ranges"][0].update(events=[]),
     "affected[0].ranges[0].events must be a non-empty list"),
    (lambda r: r["affected"][0]["ranges"][0].update(events=[{"fixed": "1.0"}]),
     "affected[0].ranges[0].events has no 'introduced' event"),
    (lambda r: r["affected"][0]["ranges"][0]["events"].append({"introduced": "1", "fixed": "2"}),
     "affected[0].ranges[0].events[2] must be an object with one key: introduced, fixed, last_affected, limit"),
    (lambda r: r["affected"][0]["ranges"][0]["events"].append({"fixed": 2}),
     "affected[0].ranges[0].events[2].fixed must be a string, not 2"),
])
def test_each_kind_of_malformed_record_names_the_field(change, message):
    data = record([{"introduced": "0"}, {"fixed": "1.0a28"}])
    change(data)
    with pytest.raises(AdvisoryError) as caught:
        parse_advisory(data)
    assert str(caught.value) == message


def test_a_missing_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(AdvisoryError) as caught:
        load_advisories(tmp_path / "nowhere")
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: not a folder of advisories"



def test_a_record_with_only_git_ranges_or_no_affected_says_no_pypi_version():
    git = record()
    git["affected"][0]["ranges"] = [{"type": "GIT", "repo": "https://example.invalid/x", "events": [{"introduced": "0"}]}]
    assert not parse_advisory(git).says_pypi_versions and parse_advisory(git).names("toyhost")
    bare = {key: value for key, value in record().items() if key != "affected"}
    assert not parse_advisory(bare).says_pypi_versions
    assert parse_advisory(record([{"introduced": "0"}])).says_pypi_versions
    assert parse_advisory(record(versions=["1.0a27"])).says_pypi_versions
