// The editor, loaded only after a sign-in (a chunk of its own: readers never
// download it). The sign-in module (../signin.js) calls start(ctx) with
//   {map, user: {name, role}, api, toolbar, onFeaturePanel, openFeature, reloadLayers}
// and calls the function start returns on "Sign out": it must remove
// everything the editor added. The editor's views are still to come.
export async function start(ctx) {
  void ctx;
  return () => {};
}
