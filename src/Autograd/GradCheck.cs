using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>
/// Compares the analytic Jacobian of <c>f</c> (one backward pass per output element) with
/// central finite differences in float64, element by element. Use it on your own ops and
/// <see cref="Function{T}"/>s. An element passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks first derivatives of <paramref name="f"/> at <paramref name="inputs"/> (not modified).</summary>
    /// <param name="f">The function, from one var per input to one output var (any shape).</param>
    /// <param name="inputs">The point to check at.</param>
    /// <param name="eps">Finite-difference step.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="atol">Absolute tolerance.</param>
    public static GradCheckResult Run(Func<Var<double>[], Var<double>> f, Tensor<double>[] inputs, double eps = 1e-6, double rtol = 1e-3, double atol = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(eps > 0)) throw new ArgumentException($"eps must be > 0, got {eps}.", nameof(eps));
        var leaves = new Var<double>[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) leaves[i] = Var<double>.Parameter(inputs[i].Clone());
        var y = f(leaves);
        int m = y.Value.Length;
        var yShape = y.Value.ShapeArray;

        // Analytic: row o of each input's Jacobian from a backward pass seeded with the o-th unit vector.
        var analytic = new double[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++) analytic[i] = new double[m * inputs[i].Length];
        if (y.RequiresGrad)
        {
            var seed = Tensor.Zeros<double>(yShape);
            for (int o = 0; o < m; o++)
            {
                seed.AsSpan().Clear();
                seed.AsSpan()[o] = 1;
                var grads = Autodiff.Gradients(y, leaves, seed, retainGraph: true);
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (grads[i] is null) continue;
                    var gi = grads[i]!.Value.ToArray();
                    for (int e = 0; e < gi.Length; e++) analytic[i][o * gi.Length + e] = gi[e];
                }
            }
        }

        // Numeric: perturb each input element both ways and difference every output element.
        var worst = new GradCheckResult(true, -1, [], [], 0, 0, 0, 0, m == 0 ? 0 : 1);
        double worstRatio = -1;
        for (int i = 0; i < inputs.Length; i++)
        {
            int n = inputs[i].Length;
            for (int e = 0; e < n; e++)
            {
                var plus = Evaluate(f, inputs, i, e, +eps);
                var minus = Evaluate(f, inputs, i, e, -eps);
                for (int o = 0; o < m; o++)
                {
                    double numeric = (plus[o] - minus[o]) / (2 * eps);
                    double a = analytic[i][o * n + e];
                    double err = Math.Abs(a - numeric), tol = atol + rtol * Math.Abs(numeric);
                    double ratio = double.IsNaN(err) ? double.PositiveInfinity : err / tol;
                    if (ratio > worstRatio)
                    {
                        worstRatio = ratio;
                        worst = new GradCheckResult(ratio <= 1, i, Unravel(e, inputs[i].Shape), Unravel(o, yShape), a, numeric, err, tol, worst.Checked);
                    }
                }
            }
        }
        return worst with { Passed = worstRatio <= 1 };
    }

    private static double[] Evaluate(Func<Var<double>[], Var<double>> f, Tensor<double>[] inputs, int which, int element, double delta)
    {
        var args = new Var<double>[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i].Clone();
            if (i == which) t.AsSpan()[element] += delta;
            args[i] = Var<double>.Constant(t);
        }
        using (GradMode.NoGrad()) return f(args).Value.ToArray();
    }

    private static int[] Unravel(int flat, ReadOnlySpan<int> shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return index;
    }
}

/// <summary>
/// Checks second derivatives: runs <see cref="GradCheck"/> on the map (x…, v) ↦ vᵀ·∂f/∂x computed by
/// a backward pass with createGraph, for a fixed random v. It fails when a derivative rule is
/// not itself differentiable correctly (wrong double backward).
/// </summary>
public static class GradGradCheck
{
    /// <summary>Checks the derivative of the backward pass of <paramref name="f"/> at <paramref name="inputs"/>.</summary>
    public static GradCheckResult Run(Func<Var<double>[], Var<double>> f, Tensor<double>[] inputs, int seed = 1234, double eps = 1e-6, double rtol = 1e-3, double atol = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor<double> yShapeProbe;
        using (GradMode.NoGrad())
        {
            var probe = new Var<double>[inputs.Length];
            for (int i = 0; i < inputs.Length; i++) probe[i] = Var<double>.Constant(inputs[i]);
            yShapeProbe = f(probe).Value;
        }
        var rng = new Random(seed);
        var v = Tensor.Zeros<double>(yShapeProbe.ShapeArray);
        var vs = v.AsSpan();
        for (int i = 0; i < vs.Length; i++) vs[i] = rng.NextDouble() * 2 - 1;

        Var<double> Vjp(Var<double>[] args)
        {
            // The numeric pass evaluates with recording off; the inner backward needs it on.
            using var recording = GradMode.Set(true);
            var xs = args[..^1];
            var direction = args[^1];
            var leaves = new Var<double>[xs.Length];
            // GradCheck hands constants to the numeric pass; the inner gradient needs leaves either way.
            for (int i = 0; i < xs.Length; i++) leaves[i] = xs[i].RequiresGrad ? xs[i] : Var<double>.Parameter(xs[i].Value);
            var y = f(leaves);
            var inner = (y * direction).Sum();
            var grads = inner.RequiresGrad ? Autodiff.Gradients(inner, leaves, createGraph: true) : new Var<double>?[leaves.Length];
            var flat = new Var<double>[leaves.Length];
            for (int i = 0; i < leaves.Length; i++)
                flat[i] = (grads[i] ?? Var<double>.Constant(Tensor.Zeros<double>(leaves[i].Value.ShapeArray))).Reshape(-1);
            return Var<double>.Concat(flat, 0);
        }
        return GradCheck.Run(Vjp, [.. inputs, v], eps, rtol, atol);
    }
}

/// <summary>
/// Outcome of a gradient check: whether every element passed, and the worst element — which
/// input, where in it, which output element, the analytic and numeric derivatives, the error
/// and the tolerance it was held to.
/// </summary>
public sealed record GradCheckResult(bool Passed, int Input, int[] InputIndex, int[] OutputIndex,
    double Analytic, double Numeric, double AbsError, double Tolerance, int Checked)
{
    /// <summary>A one-line report naming the worst element.</summary>
    public override string ToString() => Input < 0
        ? $"GradCheck {(Passed ? "passed" : "FAILED")}: nothing to compare"
        : $"GradCheck {(Passed ? "passed" : "FAILED")}: worst at input {Input} index {ShapeUtil.Format(InputIndex)}, output index {ShapeUtil.Format(OutputIndex)}: analytic {Analytic:R} vs numeric {Numeric:R} (|error| {AbsError:E3}, tolerance {Tolerance:E3})";
}
