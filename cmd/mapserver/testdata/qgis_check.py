"""Open every collection of a citemap server in QGIS as an analyst would.

Run as: QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_check.py BASE_URL WORKDIR PNGDIR

For each collection it loads the layer by the server address (OAPIF) and
each download (GeoJSON, GeoPackage, CSV), compares the layer's type with the
type of every feature, renders the layer to PNGDIR/{id}-{source}.png and
probes the pixels where the features are. It opens the GeoPackage as QGIS
does (the default style from layer_styles) and the QGIS project beside it
(the evidence relation), and reads the GeoPackage's Related Tables with
GDAL. It also loads each collection's vector tiles (the server's XYZ
address) as a Vector Tile layer and probes the pixels where the GeoJSON's
features are. Each result is one JSON line; the Go test asserts on them.
"""
import json
import os
import shutil
import sys
import traceback
import urllib.request
import xml.etree.ElementTree as ET

from qgis.core import (
    Qgis, QgsApplication, QgsCoordinateReferenceSystem, QgsFeatureRequest,
    QgsGeometry, QgsMapRendererSequentialJob, QgsMapSettings, QgsPointXY,
    QgsProject, QgsRectangle, QgsVectorLayer, QgsVectorTileBasicRenderer,
    QgsVectorTileLayer, QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

base, work, pngs = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
os.makedirs(pngs, exist_ok=True)
app = QgsApplication([], False)
app.initQgis()
SIZE = 480
BACKGROUND = QColor(255, 255, 255)


def emit(**kw):
    print(json.dumps(kw), flush=True)


def fetch(path, to=None):
    with urllib.request.urlopen(base + path) as r:
        body = r.read()
    if to:
        with open(to, "wb") as f:
            f.write(body)
        return to
    return json.loads(body)


def probe_point(g):
    """A point on the geometry where its symbol is drawn."""
    t = QgsWkbTypes.geometryType(g.wkbType())
    if t == QgsWkbTypes.PointGeometry:
        return g.vertexAt(0)
    if t == QgsWkbTypes.LineGeometry:
        return g.interpolate(g.length() / 2).asPoint()
    return g.pointOnSurface().asPoint()


def differs(c):
    return max(abs(c.red() - BACKGROUND.red()), abs(c.green() - BACKGROUND.green()), abs(c.blue() - BACKGROUND.blue())) >= 4


def render(layer, name, extent=None, probes=None):
    """Renders layer alone (over extent, else the whole layer); returns the
    PNG path, and how many features in view (of probes, else of layer) have
    non-background pixels within 3 px of their probe point."""
    ms = QgsMapSettings()
    ms.setLayers([layer])
    ms.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    ext = QgsRectangle(extent or layer.extent())
    if ext.width() < 0.5 or ext.height() < 0.5:
        ext = QgsRectangle(ext.center().x() - 1, ext.center().y() - 1, ext.center().x() + 1, ext.center().y() + 1)
    ext.scale(1.15)
    ms.setExtent(ext)
    ms.setOutputSize(QSize(SIZE, SIZE))
    ms.setBackgroundColor(BACKGROUND)
    ms.setOutputDpi(96)
    job = QgsMapRendererSequentialJob(ms)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    path = os.path.join(pngs, name + ".png")
    img.save(path, "PNG")
    m2p = ms.mapToPixel()
    hit, missed, painted = 0, [], 0
    for y in range(0, img.height(), 4):
        for x in range(0, img.width(), 4):
            if differs(img.pixelColor(x, y)):
                painted += 1
    view = ms.visibleExtent()
    for f in (probes or layer).getFeatures():
        pp = probe_point(f.geometry())
        if not view.contains(QgsPointXY(pp)):
            continue
        p = m2p.transform(QgsPointXY(pp))
        px, py = int(round(p.x())), int(round(p.y()))
        found = any(
            0 <= px + dx < img.width() and 0 <= py + dy < img.height() and differs(img.pixelColor(px + dx, py + dy))
            for dx in range(-3, 4) for dy in range(-3, 4))
        if found:
            hit += 1
        else:
            missed.append(f["id"] if "id" in f.fields().names() else f.id())
    return path, hit, missed, painted


def check_layer(cid, source, layer, expected_type):
    rec = {"kind": "layer", "id": cid, "source": source, "valid": layer.isValid()}
    if not layer.isValid():
        emit(**rec)
        return None
    wkb = layer.wkbType()
    types, count = {}, 0
    for f in layer.getFeatures():
        count += 1
        t = QgsWkbTypes.displayString(f.geometry().wkbType()) if f.hasGeometry() else "NoGeometry"
        types[t] = types.get(t, 0) + 1
    path, hit, missed, painted = render(layer, "%s-%s" % (cid, source))
    rec.update({
        "layerType": QgsWkbTypes.displayString(wkb), "featureTypes": types, "count": count,
        "featureCount": layer.featureCount(), "expectedType": expected_type,
        "fields": [f.name() for f in layer.fields()],
        "png": path, "hit": hit, "missed": missed[:10], "paintedSamples": painted,
        "renderer": layer.renderer().type() if layer.renderer() else "",
    })
    emit(**rec)
    return layer


def check_tiles(cid, features):
    """The collection's vector tiles in QGIS: a Vector Tile layer on the
    server's XYZ address, drawn over the features' extent, probed where each
    feature of the GeoJSON download (features) is. QGIS reads the tiles'
    rings by their winding (version 2 of the spec): a polygon whose first
    ring winds as a hole is dropped."""
    url = "%s/tiles/%s/%%7Bz%%7D/%%7Bx%%7D/%%7By%%7D.mvt" % (base, cid)
    vt = QgsVectorTileLayer("type=xyz&url=%s&zmin=0&zmax=16" % url, cid)
    rec = {"kind": "tiles", "id": cid, "valid": vt.isValid()}
    if vt.isValid():
        red = QColor(200, 0, 0)
        r = QgsVectorTileBasicRenderer()
        r.setStyles(QgsVectorTileBasicRenderer.simpleStyle(red, red, 0.3, red, 0.6, red, red, 2.0))
        vt.setRenderer(r)
        path, hit, missed, painted = render(vt, "%s-tiles" % cid, features.extent(), probes=features)
        rec.update({"count": features.featureCount(), "png": path, "hit": hit, "missed": missed[:10], "paintedSamples": painted})
    emit(**rec)


def rule_colors(renderer):
    """The colours of every symbol layer of a rule-based renderer."""
    out = []
    for rule in renderer.rootRule().descendants():
        sym = rule.symbol()
        if sym is None:
            continue
        for i in range(sym.symbolLayerCount()):
            sl = sym.symbolLayer(i)
            out.append(sl.color().name())
            sub = sl.subSymbol()
            if sub is not None:
                out.append(sub.color().name())
    return sorted(set(out))


def qml_colors(qml):
    out = set()
    for opt in ET.fromstring(qml.split("\n", 1)[1]).iter("prop"):
        if opt.get("k") in ("color", "line_color"):
            r, g, b = (int(v) for v in opt.get("v").split(",")[:3])
            out.add("#%02x%02x%02x" % (r, g, b))
    return sorted(out)


collections = fetch("/collections?f=json")["collections"]
ok = True
for c in collections:
    cid = c["id"]
    try:
        matched = fetch("/collections/%s/items?f=json&limit=1" % cid)["numberMatched"]
        emit(kind="collection", id=cid, numberMatched=matched, geometry_type=c.get("geometry_type"))
        uri = "url='%s' typename='%s'" % (base, cid)
        check_layer(cid, "oapif", QgsVectorLayer(uri, cid, "OAPIF"), c.get("geometry_type"))
        gj = fetch("/layers/%s.geojson" % cid, os.path.join(work, cid + ".geojson"))
        check_layer(cid, "geojson", QgsVectorLayer(gj, cid, "ogr"), c.get("geometry_type"))
        check_tiles(cid, QgsVectorLayer(gj, cid, "ogr"))
        csv = fetch("/layers/%s.csv" % cid, os.path.join(work, cid + ".csv"))
        csv_uri = "file://%s?type=csv&delimiter=,&wktField=wkt&crs=EPSG:4326&detectTypes=yes&geomType=%s" % (
            csv, {"points": "point", "lines": "line", "areas": "polygon"}.get(c.get("geometry_class", ""), ""))
        csv_uri = "file://%s?type=csv&delimiter=,&wktField=wkt&crs=EPSG:4326&detectTypes=yes" % csv
        check_layer(cid, "csv", QgsVectorLayer(csv_uri, cid, "delimitedtext"), c.get("geometry_type"))

        # The GeoPackage, opened as QGIS opens it: the default style from
        # layer_styles is applied on load.
        gpkg = fetch("/layers/%s.gpkg" % cid, os.path.join(work, cid + ".gpkg"))
        gl = check_layer(cid, "gpkg", QgsVectorLayer("%s|layername=%s" % (gpkg, cid), cid, "ogr"), c.get("geometry_type"))
        with urllib.request.urlopen(base + "/layers/%s.qml" % cid) as r:
            qml = r.read().decode()
        style = {"kind": "style", "id": cid}
        if gl is not None:
            lab = gl.labeling()
            style.update({
                "renderer": gl.renderer().type(),
                "rendererColors": rule_colors(gl.renderer()) if gl.renderer().type() == "RuleRenderer" else [],
                "qmlColors": qml_colors(qml),
                "labels": gl.labelsEnabled(),
                "labelField": lab.settings().fieldName if lab is not None and hasattr(lab, "settings") else "",
            })
        if gl is not None:
            # A closer look at the largest feature, where hatching, casing
            # and point symbols can be seen.
            big = max(gl.getFeatures(), key=lambda f: f.geometry().boundingBox().area() + f.geometry().length())
            box = QgsRectangle(big.geometry().boundingBox())
            box.grow(max(0.3, 0.15 * max(box.width(), box.height())))
            path, hit, missed, painted = render(gl, "%s-gpkg-zoom" % cid, box)
            style.update({"zoomPng": path, "zoomHit": hit, "zoomMissed": missed})
        emit(**style)
    except Exception:
        ok = False
        emit(kind="error", id=cid, error=traceback.format_exc())

# The Gyumri base reaches its evidence through the relation of the project
# saved beside the GeoPackage (QGIS 3.22+), and GDAL reads the GeoPackage's
# Related Tables (what QGIS 3.28+ builds its relation from).
try:
    proj_dir = os.path.join(work, "project")
    os.makedirs(proj_dir, exist_ok=True)
    shutil.copy(os.path.join(work, "bases.gpkg"), os.path.join(proj_dir, "bases.gpkg"))
    qgz = fetch("/layers/bases.qgz", os.path.join(proj_dir, "bases.qgz"))
    project = QgsProject.instance()
    read = project.read(qgz)
    rels = list(project.relationManager().relations().values())
    rec = {"kind": "relation", "read": read, "relations": len(rels), "layers": len(project.mapLayers())}
    if rels:
        rel = rels[0]
        rec["valid"] = rel.isValid()
        parent = rel.referencedLayer()
        rec["parentRenderer"] = parent.renderer().type() if parent and parent.renderer() else ""
        feats = list(parent.getFeatures(QgsFeatureRequest().setFilterExpression("\"id\" = 'gyumri-102nd-base'")))
        rec["gyumri"] = len(feats)
        if feats:
            rows = list(rel.getRelatedFeatures(feats[0]))
            rec["evidence"] = [{k: r[k] for k in ("feature_id", "passage_id", "relation", "aspect", "basis", "quote", "note",
                                                  "source_title", "publisher", "published", "passage_url")} for r in rows]
            rec["evidence"] = json.loads(json.dumps(rec["evidence"], default=lambda v: None))
        path, hit, missed, painted = render(parent, "bases-project")
        rec.update({"png": path, "hit": hit, "missed": missed})
    emit(**rec)

    from osgeo import gdal
    ds = gdal.OpenEx(os.path.join(work, "bases.gpkg"))
    names = ds.GetRelationshipNames() or []
    g = {"kind": "gdal-relationship", "gdal": gdal.__version__, "names": names}
    if names:
        r = ds.GetRelationship(names[0])
        g.update({"left": r.GetLeftTableName(), "right": r.GetRightTableName(), "mapping": r.GetMappingTableName(),
                  "type": r.GetRelatedTableType()})
        sql = ds.ExecuteSQL("SELECT e.passage_id FROM bases b JOIN %s m ON m.base_id = b.fid JOIN bases_evidence e ON e.fid = m.related_id "
                            "WHERE b.id = 'gyumri-102nd-base' ORDER BY e.passage_id" % r.GetMappingTableName())
        g["gyumriPassages"] = [f.GetField(0) for f in sql]
        ds.ReleaseResultSet(sql)
    emit(**g)
except Exception:
    ok = False
    emit(kind="error", id="relation", error=traceback.format_exc())

# QGIS 3.22 may crash tearing down a project's layers held by Python
# (exitQgis after QgsProject.read): the results are out, so leave at once.
sys.stdout.flush()
os._exit(0 if ok else 1)
