using NativeFree.Autograd;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Kernels.Empirical;

/// <summary>
/// Kernels of one finite network (a sample of its parameters), built from the same description as the
/// analytic kernels: the empirical NTK Θ(x, x′) = J(x)·J(x′)ᵀ over all parameters, and the NNGP of the
/// last layer f(x)·f(x′)ᵀ/width. With several outputs both are averaged over the output units, so they
/// estimate the per-unit analytic kernel. Monte-Carlo averages over initialisations converge to it.
/// </summary>
public static class EmpiricalKernel
{
    /// <summary>
    /// The empirical NTK [N1, N2] from Autograd Jacobians. Inputs are taken in tiles of
    /// <paramref name="tileInputs"/>; only two tiles of Jacobian rows (tile·outputs × parameters) exist at a time.
    /// </summary>
    /// <param name="network">A network whose layers all implement <see cref="IDifferentiableLayer"/>.</param>
    /// <param name="parameters">From <see cref="ILayer.Init"/>.</param>
    /// <param name="x1">Inputs [N1, …].</param>
    /// <param name="x2">Inputs [N2, …]; null for x1 (symmetric: one triangle of tiles).</param>
    /// <param name="tileInputs">Inputs per Jacobian tile (≥ 1).</param>
    public static Tensor<double> Ntk(ILayer network, Parameters parameters, Tensor<double> x1, Tensor<double>? x2 = null, int tileInputs = 16)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(x1);
        if (tileInputs < 1) throw new ArgumentException($"tileInputs must be ≥ 1, got {tileInputs}.", nameof(tileInputs));
        CheckInputs(x1, x2);
        var vars = new ParameterVars(parameters);
        long p = 0;
        foreach (var v in vars.All) p += v.Value.Length;
        if (p > int.MaxValue) throw new ArgumentException($"The network has {p} parameters, more than one Jacobian row can hold.");
        bool symmetric = x2 is null;
        var xb = x2 ?? x1;
        int n1 = x1.Dim(0), n2 = xb.Dim(0);
        var k = new double[n1 * n2];
        for (int a0 = 0; a0 < n1; a0 += tileInputs)
        {
            int ra = Math.Min(tileInputs, n1 - a0);
            var (ja, outputs) = JacobianTile(network, parameters, vars, x1, a0, ra, (int)p);
            for (int b0 = symmetric ? a0 : 0; b0 < n2; b0 += tileInputs)
            {
                int rb = Math.Min(tileInputs, n2 - b0);
                var jb = symmetric && b0 == a0 ? ja : JacobianTile(network, parameters, vars, xb, b0, rb, (int)p).Rows;
                var block = new double[ra * rb];
                // Rows are grouped by output unit: Θ = (1/outputs) Σ_o J_o(a)·J_o(b)ᵀ.
                for (int o = 0; o < outputs; o++)
                    Gemm.Multiply(false, true, ra, rb, (int)p, 1.0 / outputs, ja.AsSpan(o * ra * (int)p, ra * (int)p), (int)p,
                        jb.AsSpan(o * rb * (int)p, rb * (int)p), (int)p, 1.0, block, rb);
                for (int i = 0; i < ra; i++)
                    for (int j = 0; j < rb; j++)
                    {
                        k[(a0 + i) * n2 + b0 + j] = block[i * rb + j];
                        if (symmetric) k[(b0 + j) * n2 + a0 + i] = block[i * rb + j];
                    }
            }
        }
        return Tensor.FromArray(k, n1, n2);
    }

    /// <summary>The NNGP of the last layer, f(x1)·f(x2)ᵀ / width, where f is the network's output [N, width].</summary>
    public static Tensor<double> Nngp(ILayer network, Parameters parameters, Tensor<double> x1, Tensor<double>? x2 = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(x1);
        CheckInputs(x1, x2);
        var f1 = Flat(network.Apply(parameters, x1));
        var f2 = x2 is null ? f1 : Flat(network.Apply(parameters, x2));
        int n1 = f1.Dim(0), n2 = f2.Dim(0), w = f1.Dim(1);
        var k = new double[n1 * n2];
        Gemm.Multiply(false, true, n1, n2, w, 1.0 / w, f1.AsSpan(), w, f2.AsSpan(), w, 0.0, k, n2);
        return Tensor.FromArray(k, n1, n2);
    }

    /// <summary>
    /// Monte-Carlo averages of the empirical NNGP and NTK over <paramref name="samples"/> initialisations
    /// (sample s uses a <see cref="SeededNormalSampler"/> derived from <paramref name="seed"/> and s).
    /// </summary>
    public static KernelResult<double> MonteCarlo(ILayer network, Tensor<double> x1, Tensor<double>? x2, int samples, int seed,
        KernelKinds kinds = KernelKinds.Both, int tileInputs = 16)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(x1);
        if (samples < 1) throw new ArgumentException($"samples must be ≥ 1, got {samples}.", nameof(samples));
        if (kinds == 0) throw new ArgumentException("kinds selects no kernel.", nameof(kinds));
        CheckInputs(x1, x2);
        var shape = FeatureShape.FromBatchShape(x1.Shape);
        network.OutputShape(shape);
        int n1 = x1.Dim(0), n2 = (x2 ?? x1).Dim(0);
        double[]? nngp = kinds.HasFlag(KernelKinds.Nngp) ? new double[n1 * n2] : null;
        double[]? ntk = kinds.HasFlag(KernelKinds.Ntk) ? new double[n1 * n2] : null;
        for (int s = 0; s < samples; s++)
        {
            var p = network.Init(shape, new SeededNormalSampler(unchecked(seed * 1_000_003 + s)));
            if (nngp is not null) System.Numerics.Tensors.TensorPrimitives.Add(nngp, Nngp(network, p, x1, x2).AsSpan(), nngp);
            if (ntk is not null) System.Numerics.Tensors.TensorPrimitives.Add(ntk, Ntk(network, p, x1, x2, tileInputs).AsSpan(), ntk);
        }
        if (nngp is not null) System.Numerics.Tensors.TensorPrimitives.Multiply(nngp, 1.0 / samples, nngp);
        if (ntk is not null) System.Numerics.Tensors.TensorPrimitives.Multiply(ntk, 1.0 / samples, ntk);
        return new KernelResult<double>(nngp is null ? null : Tensor.FromArray(nngp, n1, n2), ntk is null ? null : Tensor.FromArray(ntk, n1, n2));
    }

    private static void CheckInputs(Tensor<double> x1, Tensor<double>? x2)
    {
        if (x1.Rank < 2 || x1.Dim(0) < 1) throw new ArgumentException($"x1 [{string.Join(", ", x1.ShapeArray)}] must be a batch [N ≥ 1, …].", nameof(x1));
        if (x2 is not null && (x2.Rank != x1.Rank || x2.Dim(0) < 1 || !x2.Shape[1..].SequenceEqual(x1.Shape[1..])))
            throw new ArgumentException($"x1 [{string.Join(", ", x1.ShapeArray)}] and x2 [{string.Join(", ", x2.ShapeArray)}] have different feature shapes.", nameof(x2));
        foreach (var t in x2 is null ? [x1] : new[] { x1, x2 })
            foreach (var v in t.ToArray())
                if (!double.IsFinite(v)) throw new ArgumentException($"Inputs [{string.Join(", ", t.ShapeArray)}] contain a non-finite value ({v}).");
    }

    private static Tensor<double> Flat(Tensor<double> f)
    {
        var c = f.IsContiguous ? f : f.Contiguous();
        return c.Reshape(c.Dim(0), c.Length / c.Dim(0));
    }

    /// <summary>
    /// Jacobian rows for inputs [start, start+count): one forward pass per input (so each row is that input's
    /// own gradient, whatever the layers do across the batch) and one backward pass per output unit.
    /// Rows are laid out [output][input][parameter].
    /// </summary>
    private static (double[] Rows, int Outputs) JacobianTile(ILayer network, Parameters parameters, ParameterVars vars,
        Tensor<double> x, int start, int count, int p)
    {
        double[]? rows = null;
        int outputs = 0;
        for (int i = 0; i < count; i++)
        {
            var xi = Var<double>.Constant(x.Slice(0, start + i, start + i + 1).Contiguous());
            var y = ParameterVars.ApplyLayer(network, parameters, vars, xi);
            if (rows is null) { outputs = y.Value.Length; rows = new double[(long)outputs * count * p <= int.MaxValue ? outputs * count * p : throw new ArgumentException($"A Jacobian tile of {count} inputs × {y.Value.Length} outputs × {p} parameters is too large; lower tileInputs.")]; }
            for (int o = 0; o < outputs; o++)
            {
                var seed = new double[outputs];
                seed[o] = 1;
                var grads = Autodiff.Gradients(y, vars.All, Tensor.FromArray(seed, y.Value.ShapeArray), retainGraph: o < outputs - 1);
                var row = rows.AsSpan((o * count + i) * p, p);
                int at = 0;
                for (int g = 0; g < grads.Length; g++)
                {
                    int len = vars.All[g].Value.Length;
                    if (grads[g] is { } gv)
                    {
                        var t = gv.Value.IsContiguous ? gv.Value : gv.Value.Contiguous();
                        t.AsSpan().CopyTo(row.Slice(at, len));
                    }
                    at += len;
                }
            }
        }
        return (rows!, outputs);
    }
}
