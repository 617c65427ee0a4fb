"""Load every collection of a citemap server into QGIS as an OAPIF layer.

Run as: QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_oapif.py BASE_URL
Prints one JSON object per collection: id, valid, feature count, the
server's numberMatched, fields and the geometry type QGIS chose. Exits 1 if
any layer fails to load or its count differs from numberMatched.
"""
import json
import sys
import urllib.request

from qgis.core import QgsApplication, QgsVectorLayer, QgsWkbTypes

base = sys.argv[1].rstrip("/")
app = QgsApplication([], False)
app.initQgis()

with urllib.request.urlopen(base + "/collections?f=json") as r:
    collections = json.load(r)["collections"]

ok = True
for c in collections:
    with urllib.request.urlopen(base + "/collections/%s/items?f=json&limit=1" % c["id"]) as r:
        matched = json.load(r)["numberMatched"]
    layer = QgsVectorLayer("url='%s' typename='%s'" % (base, c["id"]), c["id"], "OAPIF")
    # QgsVectorLayer.error() crashes on OAPIF layers in QGIS 3.22: not called.
    result = {"id": c["id"], "valid": layer.isValid()}
    if layer.isValid():
        count = layer.featureCount()
        fields = [f.name() for f in layer.fields()]
        fetched = sum(1 for _ in layer.getFeatures())
        result.update({
            "featureCount": count, "fetched": fetched, "numberMatched": matched,
            "geometry": QgsWkbTypes.displayString(layer.wkbType()),
            "fields": fields,
        })
        if count != matched or fetched != matched or "name" not in fields or "passage_ids" not in fields:
            ok = False
    else:
        ok = False
    print(json.dumps(result), flush=True)

del layer
app.exitQgis()
sys.exit(0 if ok else 1)
