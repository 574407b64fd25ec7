import unittest

from toyhost_share import share_box


class ShareBox(unittest.TestCase):
    def test_share_box(self):
        self.assertEqual(share_box("Sales", "/s/1"), '<h1>Sales</h1><a href="/s/1">share</a>')


if __name__ == "__main__":
    unittest.main()
