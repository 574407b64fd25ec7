from packaging.version import Version

from pinlab import load_advisories, toy_index
from pinlab.timeline import patch_timeline


def test_the_timeline_shows_which_release_keeps_the_fix_out():
    with toy_index("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export", "toyhost-charts") as index:
        timeline = patch_timeline(index, "toyhost", load_advisories())
    assert timeline.fixed == (Version("1.0a28"),)
    assert [str(blocker) for blocker in timeline.blockers()] == ["toyhost-export 0.3a1"]
    assert str(timeline) == """\
toyhost release  known vulnerable  toyhost-charts 0.1  toyhost-export 0.3a1  toyhost-export 0.3a2
                                   toyhost>=1.0a28     toyhost==1.0a27       toyhost>=1.0a27
1.0a27           TOYSEC-2026-1     refused             admitted              admitted
1.0a28           no                admitted            refused: a fix        admitted

toyhost-charts 0.1 (toyhost>=1.0a28) admits the fixed 1.0a28.
toyhost-export 0.3a1 (toyhost==1.0a27) admits no fixed release: the patch stops here.
toyhost-export 0.3a2 (toyhost>=1.0a27) admits the fixed 1.0a28."""


def test_nothing_is_blocked_once_every_dependent_admits_a_fix():
    with toy_index("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export==0.3a2") as index:
        timeline = patch_timeline(index, "toyhost", load_advisories())
    assert timeline.blockers() == ()
    assert "the patch stops" not in str(timeline)
