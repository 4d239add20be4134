// Warnings are printed once at synth; the tests assert on Diagnostics instead
// (test/errors/warnings.test.ts re-enables printing to test it).
process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS = 'false';
// app.synth() writes the Azure plan and the diagnostics reports to the
// library's output folder (azureml-mesh.out/ by default, in the working
// directory): the tests' apps write theirs to a folder per jest worker.
process.env.CDK8S_AZUREML_MESH_OUTDIR = require('node:path').join(require('node:os').tmpdir(), 'azureml-mesh-jest', String(process.pid));
