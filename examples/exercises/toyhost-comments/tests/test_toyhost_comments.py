import unittest

from toyhost_comments import comment


class Comment(unittest.TestCase):
    def test_a_readers_name_is_escaped(self):
        self.assertEqual(comment("<b>Ann</b>", "Nice"), "<h1>&lt;b&gt;Ann&lt;/b&gt;</h1><p>Nice</p>")


if __name__ == "__main__":
    unittest.main()
