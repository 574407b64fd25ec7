import unittest

from toyhost_notes import note_page


class NotePage(unittest.TestCase):
    def test_a_users_title_is_escaped(self):
        self.assertEqual(note_page("Q&A <draft>", "soon"), "<h1>Q&amp;A &lt;draft&gt;</h1><p>soon</p>")


if __name__ == "__main__":
    unittest.main()
