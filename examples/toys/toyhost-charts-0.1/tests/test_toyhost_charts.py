import unittest

from toyhost_charts import bar_chart


class BarChart(unittest.TestCase):
    def test_bars(self):
        self.assertEqual(bar_chart("Load", [1, 3]), "<h1>Load</h1><pre>#</pre><pre>###</pre>")


if __name__ == "__main__":
    unittest.main()
