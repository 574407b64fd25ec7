import unittest

from toyhost_export import export_page


class ExportPage(unittest.TestCase):
    def test_page_has_title_and_rows(self):
        page = export_page("Report", ["a", "b"])
        self.assertEqual(page, "<h1>Report</h1><p>a</p><p>b</p>")


if __name__ == "__main__":
    unittest.main()
