// Warnings are printed once at synth; the tests assert on Diagnostics instead
// (test/errors/warnings.test.ts re-enables printing to test it).
process.env.CDK8S_AZUREML_MESH_PRINT_WARNINGS = 'false';
