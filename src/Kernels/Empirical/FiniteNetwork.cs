using NativeFree.Autograd;
using NativeFree.Kernels.Prediction;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Empirical;

/// <summary>The outcome of <see cref="FiniteNetwork.TrainMse"/>.</summary>
/// <param name="Parameters">The trained parameters (a copy; the initial ones are untouched).</param>
/// <param name="Loss">The loss ½·mean over inputs of ‖f(x) − y‖² before each step and after the last: steps + 1 values.</param>
/// <param name="Time">Gradient-flow time reached, learning rate × steps (the <c>t</c> of <see cref="GradientDescentMse"/> with η = 1).</param>
public sealed record TrainingResult(Parameters Parameters, double[] Loss, double Time);

/// <summary>
/// The finite network of a description, trained. Full-batch gradient descent on the MSE loss
/// L(θ) = 1/(2n)·Σᵢ ‖f(xᵢ; θ) − yᵢ‖² with θ ← θ − lr·∇L: the same loss normalisation as
/// <see cref="GradientDescentMse"/>, so <c>steps</c> steps of rate <c>lr</c> approximate gradient flow for time
/// t = lr × steps (predictor with learning rate 1 at that t), up to O(lr·λ_max/n) discretisation error.
/// In the NTK parametrization a wide network stays close to its linearisation, so its trained outputs are
/// those of <see cref="LinearizedMean"/> up to O(1/√width).
/// </summary>
public static class FiniteNetwork
{
    /// <summary>The forward pass on the Autograd tape (every layer must implement <see cref="IDifferentiableLayer"/>).</summary>
    public static Var<double> Apply(ILayer network, Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(vars);
        ArgumentNullException.ThrowIfNull(x);
        return ParameterVars.ApplyLayer(network, parameters, vars, x);
    }

    /// <summary>A deep copy of <paramref name="parameters"/> (a tensor shared by two layers stays shared).</summary>
    public static Parameters Clone(Parameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var copies = new Dictionary<Tensor<double>, Tensor<double>>(ReferenceEqualityComparer.Instance);
        Parameters Copy(Parameters p) => new(
            p.Tensors.Select(t => copies.TryGetValue(t, out var c) ? c : copies[t] = t.Clone()).ToArray(),
            p.Children.Select(Copy).ToArray());
        return Copy(parameters);
    }

    /// <summary>The loss 1/(2n)·Σᵢ ‖f(xᵢ) − yᵢ‖² of the plain forward pass.</summary>
    public static double MseLoss(ILayer network, Parameters parameters, Tensor<double> x, Tensor<double> y, INormalSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameters);
        var (xs, ys) = CheckData(network, x, y);
        var f = network.Apply(parameters, xs, sampler).ToArray();
        var t = ys.ToArray();
        if (f.Length != t.Length) throw new ArgumentException($"The network gives {f.Length / xs.Dim(0)} outputs per input but y has {t.Length / xs.Dim(0)}.", nameof(y));
        double s = 0;
        for (int i = 0; i < f.Length; i++) s += (f[i] - t[i]) * (f[i] - t[i]);
        return s / (2.0 * xs.Dim(0));
    }

    /// <summary>
    /// Full-batch gradient descent on 1/(2n)·Σᵢ ‖f(xᵢ) − yᵢ‖² for <paramref name="steps"/> steps of rate
    /// <paramref name="learningRate"/>, from a copy of <paramref name="parameters"/>.
    /// </summary>
    /// <param name="network">The description (every layer differentiable).</param>
    /// <param name="parameters">Initial parameters, e.g. from <see cref="ILayer.Init"/>; not modified.</param>
    /// <param name="x">Training inputs [n, …].</param>
    /// <param name="y">Targets [n] or [n, outputs] (the network's output shape per input).</param>
    /// <param name="learningRate">lr &gt; 0; stable while lr·λ_max(Θ)/n &lt; 2.</param>
    /// <param name="steps">Number of steps (≥ 0).</param>
    /// <param name="sampler">Dropout masks in training mode (drawn afresh at every step); null otherwise.</param>
    /// <param name="cancellation">Checked before every step.</param>
    /// <exception cref="ArgumentException">Bad shapes or non-finite data, or training diverged (the message names the step).</exception>
    public static TrainingResult TrainMse(ILayer network, Parameters parameters, Tensor<double> x, Tensor<double> y, double learningRate, int steps,
        INormalSampler? sampler = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new ArgumentException($"learning rate must be positive and finite, got {learningRate}.", nameof(learningRate));
        if (steps < 0) throw new ArgumentException($"steps must be ≥ 0, got {steps}.", nameof(steps));
        var (xs, ys) = CheckData(network, x, y);
        int n = xs.Dim(0);
        var current = Clone(parameters);
        var xv = Var<double>.Constant(xs);
        var loss = new double[steps + 1];
        for (int step = 0; step <= steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            var vars = new ParameterVars(current) { Sampler = sampler };
            var f = FiniteNetwork.Apply(network, current, vars, xv);
            if (f.Value.Length != ys.Length)
                throw new ArgumentException($"The network's output [{string.Join(", ", f.Value.ShapeArray)}] does not match y [{string.Join(", ", ys.ShapeArray)}] " +
                    $"({f.Value.Length / n} vs {ys.Length / n} outputs per input).", nameof(y));
            var diff = f.Reshape(ys.ShapeArray) - Var<double>.Constant(ys);
            var l = (diff * diff).Sum() * (0.5 / n);
            loss[step] = l.Item();
            if (!double.IsFinite(loss[step]))
                throw new ArgumentException($"Training diverged: the loss is {loss[step]} at step {step} (learning rate {learningRate}); lower the learning rate.", nameof(learningRate));
            if (step == steps) break;
            var grads = Autodiff.Gradients(l, vars.All);
            for (int i = 0; i < grads.Length; i++)
            {
                if (grads[i] is not { } g) continue; // a parameter the output does not depend on
                var gv = g.Value.IsContiguous ? g.Value : g.Value.Contiguous();
                // The leaf wraps the parameter tensor itself (Var does not copy), so this updates `current`.
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<double>(gv.AsSpan(), -learningRate, vars.All[i].Value.AsSpan(), vars.All[i].Value.AsSpan());
            }
        }
        return new TrainingResult(current, loss, learningRate * steps);
    }

    /// <summary>
    /// Outputs at <paramref name="xTest"/> of the network linearised around <paramref name="parameters"/> and trained by
    /// gradient flow on the same loss for time <paramref name="time"/>: f₀(x*) + Θ̂(x*, X)·Θ̂⁻¹·(I − e^{−Θ̂t/n})·(y − f₀(X)),
    /// with Θ̂ the empirical NTK of these parameters (<see cref="GradientDescentMse"/> on the residual y − f₀). Several
    /// outputs use the output-averaged Θ̂ (exact when the cross-output blocks vanish, as they do at large width).
    /// </summary>
    /// <returns>[n_test, outputs].</returns>
    public static Tensor<double> LinearizedMean(ILayer network, Parameters parameters, Tensor<double> xTrain, Tensor<double> yTrain, Tensor<double> xTest,
        double time, double diagReg = 0, int tileInputs = 16)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameters);
        var (xs, ys) = CheckData(network, xTrain, yTrain);
        ArgumentNullException.ThrowIfNull(xTest);
        int n = xs.Dim(0), m = ys.Dim(1), nt = xTest.Dim(0);
        var f0 = network.Apply(parameters, xs).ToArray();
        var f0Test = network.Apply(parameters, xTest).ToArray();
        if (f0.Length != n * m) throw new ArgumentException($"The network gives {f0.Length / n} outputs per input but y has {m}.", nameof(yTrain));
        var residual = ys.ToArray();
        for (int i = 0; i < residual.Length; i++) residual[i] -= f0[i];
        var theta = EmpiricalKernel.Ntk(network, parameters, xs, null, tileInputs);
        var thetaTest = EmpiricalKernel.Ntk(network, parameters, xTest, xs, tileInputs);
        var gd = new GradientDescentMse(theta, Tensor.FromArray(residual, n, m), learningRate: 1, diagReg);
        var mean = gd.Mean(thetaTest, time).ToArray();
        for (int i = 0; i < mean.Length; i++) mean[i] += f0Test[i];
        return Tensor.FromArray(mean, nt, m);
    }

    // Inputs and targets checked (finite, n ≥ 1, matching rows); targets as [n, outputs].
    private static (Tensor<double> X, Tensor<double> Y) CheckData(ILayer network, Tensor<double> x, Tensor<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank < 2 || x.Dim(0) < 1) throw new ArgumentException($"x [{string.Join(", ", x.ShapeArray)}] must be a batch [n ≥ 1, …].", nameof(x));
        network.OutputShape(FeatureShape.FromBatchShape(x.Shape));
        if (y.Rank is < 1 or > 2 || y.Dim(0) != x.Dim(0))
            throw new ArgumentException($"y [{string.Join(", ", y.ShapeArray)}] must be [n] or [n, outputs] with n = {x.Dim(0)} rows like x [{string.Join(", ", x.ShapeArray)}].", nameof(y));
        foreach (var (t, name) in new[] { (x, nameof(x)), (y, nameof(y)) })
        {
            var a = t.ToArray();
            for (int i = 0; i < a.Length; i++)
                if (!double.IsFinite(a[i])) throw new ArgumentException($"{name} has a non-finite value ({a[i]}) at flat index {i}.", name);
        }
        var xc = x.IsContiguous ? x : x.Contiguous();
        var yc = (y.IsContiguous ? y : y.Contiguous());
        return (xc, y.Rank == 1 ? yc.Reshape(y.Dim(0), 1) : yc);
    }
}
