/**
 * Snapshots of the default cdk8s-plus line (34) are where jest keeps them,
 * `__snapshots__/<test>.snap`; those of another line (CDK8S_PLUS_LINE=28 or
 * 33, see jest.config.js) in `__snapshots__/cdk8s-plus-<line>/<test>.snap`.
 */
const path = require('node:path');

const line = process.env.CDK8S_PLUS_LINE || '34';
const LINE_DIR = /^cdk8s-plus-\d+$/;

module.exports = {
  resolveSnapshotPath(testPath, extension) {
    const dir = path.join(path.dirname(testPath), '__snapshots__');
    return path.join(line === '34' ? dir : path.join(dir, `cdk8s-plus-${line}`), path.basename(testPath) + extension);
  },
  resolveTestPath(snapshotPath, extension) {
    let dir = path.dirname(snapshotPath);
    if (LINE_DIR.test(path.basename(dir))) dir = path.dirname(dir);
    return path.join(path.dirname(dir), path.basename(snapshotPath, extension));
  },
  testPathForConsistencyCheck: path.join('some', 'dir', 'example.test.ts'),
};
