"""The revocation function is deployed from one source, infra/functions/revocation.js.

CloudFormation takes a CloudFront Function's code inline only, so both delivery templates carry a
copy (rewritten by infra/functions/sync-inline.py); Terraform reads the file with file(). These
tests prove each template deploys exactly that file, with the same runtime and store wiring.
The function's behaviour is tested by Node (infra/functions/test/, run by scripts/check-infra).
"""

from __future__ import annotations

import importlib.util
import re
import unittest
from pathlib import Path

import guard

INFRA = Path(__file__).resolve().parent.parent
SOURCE = INFRA / "functions" / "revocation.js"
TEMPLATES = [INFRA / "cloudformation" / "mediagate.yaml", INFRA / "cloudformation" / "mediagate-oai.yaml"]
TF = INFRA / "terraform"


def _tf_block(text: str, kind: str, name: str) -> str:
    m = re.search(rf'^resource "{kind}" "{name}" {{\n(.*?)^}}\n', text, re.M | re.S)
    assert m, f"no resource {kind}.{name}"
    return m.group(1)


class InlineCopiesEqualTheSource(unittest.TestCase):
    def test_each_template_inlines_revocation_js_byte_for_byte(self):
        source = SOURCE.read_text()
        for path in TEMPLATES:
            with self.subTest(template=path.name):
                code = guard.load_template(path)["Resources"]["RevocationFunction"]["Properties"]["FunctionCode"]
                self.assertEqual(code, source, f"{path.name}'s inline copy differs: run python3 infra/functions/sync-inline.py")

    def test_sync_inline_reports_nothing_to_do(self):
        spec = importlib.util.spec_from_file_location("sync_inline", INFRA / "functions" / "sync-inline.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        source = SOURCE.read_text()
        for path in TEMPLATES:
            text = path.read_text()
            self.assertEqual(mod.inline(text, source), text, f"{path.name}: sync-inline.py would rewrite it")
        # and it does rewrite a stale copy, into one that parses back to the source
        stale = TEMPLATES[0].read_text().replace("const kvs = cf.kvs();", "const kvs = cf.kvs(); // stale", 1)
        self.assertNotEqual(stale, TEMPLATES[0].read_text())
        self.assertEqual(mod.inline(stale, source), TEMPLATES[0].read_text())

    def test_the_templates_configure_the_function_alike(self):
        for path in TEMPLATES:
            with self.subTest(template=path.name):
                t = guard.load_template(path)
                props = t["Resources"]["RevocationFunction"]["Properties"]
                self.assertEqual(props["FunctionConfig"]["Runtime"], "cloudfront-js-2.0")
                self.assertIs(props["AutoPublish"], True)
                self.assertEqual(props["FunctionConfig"]["KeyValueStoreAssociations"],
                                 [{"KeyValueStoreARN": {"Fn::GetAtt": ["RevocationStore", "Arn"]}}])
                self.assertEqual(t["Resources"]["RevocationStore"]["Type"], "AWS::CloudFront::KeyValueStore")
                self.assertEqual(t["Outputs"]["RevocationKeyValueStoreArn"]["Value"], {"Fn::GetAtt": ["RevocationStore", "Arn"]})


class TerraformReadsTheSource(unittest.TestCase):
    def test_the_function_code_is_file_revocation_js(self):
        block = _tf_block((TF / "cloudfront.tf").read_text(), "aws_cloudfront_function", "revocation")
        m = re.search(r'^  code\s*=\s*file\("\$\{path\.module\}/([^"]+)"\)\n', block, re.M)
        self.assertIsNotNone(m, "aws_cloudfront_function.revocation's code is not file(\"${path.module}/...\")")
        self.assertEqual((TF / m.group(1)).resolve(), SOURCE.resolve())
        self.assertRegex(block, r'(?m)^  runtime\s*=\s*"cloudfront-js-2\.0"$')
        self.assertRegex(block, r"(?m)^  publish\s*=\s*true$")
        self.assertRegex(block, r"(?m)^  key_value_store_associations\s*=\s*\[aws_cloudfront_key_value_store\.revocation\.arn\]$")


class ServiceMayWriteTheStoreOnly(unittest.TestCase):
    """The service's policy grants the six KeyValueStore actions, on the revocation store alone."""

    ACTIONS = ["cloudfront-keyvaluestore:DescribeKeyValueStore", "cloudfront-keyvaluestore:GetKey",
               "cloudfront-keyvaluestore:ListKeys", "cloudfront-keyvaluestore:UpdateKeys",
               "cloudfront-keyvaluestore:PutKey", "cloudfront-keyvaluestore:DeleteKey"]

    def test_cloudformation_service_policy(self):
        for path in TEMPLATES:
            with self.subTest(template=path.name):
                stmts = guard.load_template(path)["Resources"]["ServicePolicy"]["Properties"]["PolicyDocument"]["Statement"]
                kvs = [s for s in stmts if isinstance(s, dict) and any(
                    str(a).startswith("cloudfront-keyvaluestore:") for a in s.get("Action", []))]
                self.assertEqual(kvs, [{"Sid": "RevocationFloors", "Effect": "Allow", "Action": self.ACTIONS,
                                        "Resource": {"Fn::GetAtt": ["RevocationStore", "Arn"]}}])

    def test_terraform_service_policy(self):
        text = (TF / "iam.tf").read_text()
        m = re.search(r'statement \{\n    sid    = "RevocationFloors"\n(.*?)\n  \}\n', text, re.S)
        self.assertIsNotNone(m)
        self.assertEqual(re.findall(r'"(cloudfront-keyvaluestore:[A-Za-z]+)"', m.group(1)), self.ACTIONS)
        self.assertRegex(m.group(1), r"resources = \[aws_cloudfront_key_value_store\.revocation\.arn\]")
        self.assertEqual(text.count("cloudfront-keyvaluestore:"), len(self.ACTIONS), "KeyValueStore rights outside RevocationFloors")


if __name__ == "__main__":
    unittest.main()
