import unittest

from toyhost_gallery import gallery


class Gallery(unittest.TestCase):
    def test_one_image_per_picture(self):
        self.assertEqual(gallery("Cats", ["a.png"]), '<h1>Cats</h1><p><img src="a.png"></p><h1>End</h1>')


if __name__ == "__main__":
    unittest.main()
