import unittest

import toyhost


class RenderTitle(unittest.TestCase):
    def test_plain_title(self):
        self.assertEqual(toyhost.render_title("Sales"), "<h1>Sales</h1>")

    def test_version(self):
        self.assertEqual(toyhost.__version__, "0.9")


if __name__ == "__main__":
    unittest.main()
