using BenchmarkDotNet.Attributes;
using NativeFree.Autograd;
using NativeFree.Cli.Bench;
using NativeFree.Tensors;

namespace NativeFree.Bench;

/// <summary>
/// One SGD training step of a ReLU MLP (forward, cross-entropy, backward, update) at the three
/// shapes of shared/anchors/mlp_torch.py, through Models (Impl = models: SPEC → Sequential + Sgd) or
/// written with autograd ops by hand (Impl = hand). Allocated bytes per step come from [MemoryDiagnoser]
/// (target: under 10 KB in steady state). RecordScalarAdd isolates the engine's cost per recorded op.
/// Run: dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*MlpStep*'
/// </summary>
[MemoryDiagnoser]
public class MlpStepBenchmarks
{
    private IMlpStep _mlp = null!;
    private Var<float> _a = null!, _b = null!;

    /// <summary>"batch:dims".</summary>
    [Params("1:4-8-1", "64:64-128-128-10", "128:784-1024-1024-10")]
    public string Shape { get; set; } = "1:4-8-1";

    /// <summary>The step's implementation: models (Sequential + Sgd) or hand (autograd ops).</summary>
    [Params("models", "hand")]
    public string Impl { get; set; } = "models";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split(':');
        _mlp = IMlpStep.Create(Impl, int.Parse(parts[0]), parts[1].Split('-').Select(int.Parse).ToArray());
        _a = Var<float>.Parameter(Tensor.Scalar(1.5f));
        _b = Var<float>.Parameter(Tensor.Scalar(0.5f));
    }

    [Benchmark]
    public float TrainingStep() => _mlp.Step();

    /// <summary>Records 16 scalar adds and back-propagates through them: per-op engine overhead, forward and backward.</summary>
    [Benchmark(OperationsPerInvoke = 16)]
    public float RecordScalarAdd()
    {
        var y = _a;
        for (int i = 0; i < 16; i++) y = y + _b;
        y.Backward();
        _a.Grad = null;
        _b.Grad = null;
        return y.Item();
    }
}
