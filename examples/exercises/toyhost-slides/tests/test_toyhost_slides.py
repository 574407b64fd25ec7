import unittest

from toyhost_slides import slide


class Slide(unittest.TestCase):
    def test_title_notes_and_chart(self):
        self.assertEqual(slide("Q3", ["up"], [2]), "<h1>Q3</h1><h1>Notes</h1><p>up</p><h1>Load</h1><pre>##</pre>")


if __name__ == "__main__":
    unittest.main()
