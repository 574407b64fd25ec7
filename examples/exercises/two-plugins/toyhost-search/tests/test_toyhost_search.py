import unittest

from toyhost_search import results_page


class ResultsPage(unittest.TestCase):
    def test_results(self):
        self.assertEqual(results_page(2, ["Sales", "Stock"]), "<h1>2 results</h1><p>Sales</p><p>Stock</p>")


if __name__ == "__main__":
    unittest.main()
