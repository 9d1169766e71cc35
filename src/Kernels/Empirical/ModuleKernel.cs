using NativeFree.Autograd;
using NativeFree.Models;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Kernels.Empirical;

/// <summary>
/// The empirical kernels of a finite network built by NativeFree.Models (any <see cref="Module{T}"/> in float64),
/// so the analytic kernel and the finite network come from one SPEC: parse it with
/// <see cref="Spec.NetworkSpec"/> (or build it with <see cref="Stax"/>): <see cref="KernelFunction"/> gives the analytic
/// kernel and <see cref="LayerSpec.Build{T}(int[], Rng)"/> the network. Inputs are in the network's layout (NCHW images).
/// </summary>
public static class ModuleKernel
{
    /// <summary>
    /// Θ(x, x′) = (1/K) Σ_o ∂f_o(x)/∂θ · ∂f_o(x′)/∂θ over every parameter θ of <paramref name="network"/>
    /// (K output units, averaged so the result estimates the per-unit analytic NTK). The network runs in eval
    /// mode, one input at a time; the Jacobian held is inputs × outputs × parameters doubles.
    /// </summary>
    /// <param name="network">The finite network.</param>
    /// <param name="x1">Inputs [N1, …] in the module's layout.</param>
    /// <param name="x2">Inputs [N2, …]; null for x1.</param>
    public static Tensor<double> Ntk(Module<double> network, Tensor<double> x1, Tensor<double>? x2 = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(x1);
        var ps = network.Parameters();
        long p = ps.Sum(q => (long)q.Length);
        var (j1, outputs) = Jacobian(network, ps, p, x1);
        var j2 = x2 is null ? j1 : Jacobian(network, ps, p, x2).Rows;
        int n1 = x1.Dim(0), n2 = (x2 ?? x1).Dim(0);
        var k = new double[n1 * n2];
        // Rows are [input, output]: Θ(a, b) = (1/K) Σ_o J(a, o)·J(b, o). One GEMM per output unit over strided rows.
        for (int o = 0; o < outputs; o++)
            Gemm.Multiply(false, true, n1, n2, (int)p, 1.0 / outputs, j1.AsSpan(o * (int)p), outputs * (int)p,
                j2.AsSpan(o * (int)p), outputs * (int)p, 1.0, k, n2);
        return Tensor.FromArray(k, n1, n2);
    }

    /// <summary>
    /// The Monte-Carlo NTK: the mean of <see cref="Ntk"/> over <paramref name="samples"/> networks built from
    /// <paramref name="spec"/> with independent initialisations (forks of <paramref name="rng"/>). It converges to
    /// the analytic NTK as the width grows, with a spread of order 1/√(width·samples).
    /// </summary>
    public static Tensor<double> MonteCarloNtk(LayerSpec spec, Tensor<double> x1, Tensor<double>? x2, int samples, Rng rng)
        => MonteCarlo(spec, x1, x2, samples, rng, KernelKinds.Ntk).Ntk!;

    /// <summary>
    /// The empirical NNGP (1/K)·f(x1)·f(x2)ᵀ of the network's K outputs in eval mode: at initialisation, an unbiased
    /// estimate of the analytic NNGP for each output unit.
    /// </summary>
    public static Tensor<double> Nngp(Module<double> network, Tensor<double> x1, Tensor<double>? x2 = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(x1);
        var f1 = Outputs(network, x1);
        var f2 = x2 is null ? f1 : Outputs(network, x2);
        int k = f1.Dim(1);
        return Tensor.Mul(Tensor.MatMul(f1, f2.Mt), 1.0 / k);
    }

    /// <summary>
    /// Monte-Carlo NNGP and NTK: the means of <see cref="Nngp"/> and <see cref="Ntk"/> over <paramref name="samples"/>
    /// networks built from <paramref name="spec"/> with independent initialisations (forks of <paramref name="rng"/>).
    /// </summary>
    public static KernelResult<double> MonteCarlo(LayerSpec spec, Tensor<double> x1, Tensor<double>? x2, int samples, Rng rng, KernelKinds kinds = KernelKinds.Both)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(rng);
        if (samples < 1) throw new ArgumentException($"samples must be ≥ 1, got {samples}.", nameof(samples));
        if (x2 is not null && !x2.ShapeArray.AsSpan(1).SequenceEqual(x1.ShapeArray.AsSpan(1)))
            throw new ArgumentException($"x1 {ShapeUtil.Format(x1.ShapeArray)} and x2 {ShapeUtil.Format(x2.ShapeArray)} must agree after the batch axis.");
        Tensor<double>? nngp = null, ntk = null;
        for (int s = 0; s < samples; s++)
        {
            var net = spec.Build<double>(x1.ShapeArray[1..], rng.Fork());
            if (kinds.HasFlag(KernelKinds.Nngp)) nngp = Accumulate(nngp, Nngp(net, x1, x2));
            if (kinds.HasFlag(KernelKinds.Ntk)) ntk = Accumulate(ntk, Ntk(net, x1, x2));
        }
        return new KernelResult<double>(nngp is null ? null : Tensor.Mul(nngp, 1.0 / samples), ntk is null ? null : Tensor.Mul(ntk, 1.0 / samples));
    }

    private static Tensor<double> Accumulate(Tensor<double>? sum, Tensor<double> k)
    {
        if (sum is null) return k;
        Tensor.AddScaledInPlace(sum, 1.0, k);
        return sum;
    }

    // The outputs as [n, K] (eval mode, no tape).
    private static Tensor<double> Outputs(Module<double> network, Tensor<double> x)
    {
        var f = network.Predict(x);
        return f.Contiguous().Reshape(x.Dim(0), f.Length / x.Dim(0));
    }

    private static (double[] Rows, int Outputs) Jacobian(Module<double> network, IReadOnlyList<Parameter<double>> ps, long p, Tensor<double> x)
    {
        if (p > int.MaxValue) throw new ArgumentException($"The network has {p} parameters, more than one Jacobian row can hold.");
        int n = x.Dim(0);
        double[]? rows = null;
        int outputs = 0;
        for (int i = 0; i < n; i++)
        {
            var xi = Var<double>.Constant(x.Slice(0, i, i + 1).Contiguous());
            var f = network.Forward(xi);
            if (rows is null)
            {
                outputs = (int)(f.Value.Length);
                rows = new double[checked(n * outputs * p)];
            }
            for (int o = 0; o < outputs; o++)
            {
                network.ZeroGrad();
                var seed = Tensor.Zeros<double>(f.Value.ShapeArray);
                seed.AsSpan()[o] = 1;
                f.Backward(seed, retainGraph: o + 1 < outputs);
                long at = ((long)i * outputs + o) * p;
                foreach (var q in ps)
                {
                    var g = q.Var.Grad;
                    if (g is null) rows.AsSpan((int)at, q.Length).Clear();   // a parameter this output does not reach
                    else g.Value.AsSpan().CopyTo(rows.AsSpan((int)at, q.Length));
                    at += q.Length;
                }
            }
        }
        return (rows ?? [], outputs);
    }
}
