import unittest

from toyhost_app import dashboard


class Dashboard(unittest.TestCase):
    def test_page(self):
        self.assertEqual(
            dashboard(["a"], [2]),
            "<h1>Sales</h1><p>a</p><h1>Load</h1><pre>##</pre>",
        )


if __name__ == "__main__":
    unittest.main()
