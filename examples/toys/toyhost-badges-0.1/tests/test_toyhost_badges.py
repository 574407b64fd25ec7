import unittest

from toyhost_badges import badge


class Badge(unittest.TestCase):
    def test_badge(self):
        self.assertEqual(badge("tests", "passing"), "<h1>tests: passing</h1>")


if __name__ == "__main__":
    unittest.main()
