using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*Gemm*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
