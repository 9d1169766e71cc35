using NativeFree.Autograd;
using NativeFree.Kernels.Prediction;
using NativeFree.Models;
using NativeFree.Models.Optim;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Empirical;

/// <summary>The outcome of <see cref="GradientFlow.TrainMse"/>.</summary>
/// <param name="Loss">The loss ½·mean over inputs of ‖f(x) − y‖² before each step and after the last: steps + 1 values.</param>
/// <param name="Time">Gradient-flow time reached, learning rate × steps (the <c>t</c> of <see cref="GradientDescentMse"/> with η = 1).</param>
public sealed record TrainingResult(double[] Loss, double Time);

/// <summary>
/// A finite network (any <see cref="Module{T}"/> in float64, e.g. built from the SPEC its analytic kernel reads) trained
/// by full-batch gradient descent on L(θ) = 1/(2n)·Σᵢ ‖f(xᵢ; θ) − yᵢ‖², θ ← θ − lr·∇L (Models' SGD, each parameter's
/// learning-rate scale applied): the loss normalisation of <see cref="GradientDescentMse"/>, so <c>steps</c> steps of rate
/// <c>lr</c> approximate gradient flow for time t = lr × steps, up to O(lr·λ_max/n). In the NTK parametrization a wide
/// network stays close to its linearisation, so its trained outputs are <see cref="LinearizedMean"/>'s up to O(1/√width).
/// The network runs in eval mode (no dropout masks), so the loss is a deterministic function of θ.
/// </summary>
public static class GradientFlow
{
    /// <summary>
    /// Trains <paramref name="network"/> in place for <paramref name="steps"/> steps of rate <paramref name="learningRate"/>.
    /// </summary>
    /// <param name="network">The network; its parameters are updated.</param>
    /// <param name="x">Training inputs [n, …] in the network's layout.</param>
    /// <param name="y">Targets [n] or [n, outputs].</param>
    /// <param name="learningRate">lr &gt; 0; stable while lr·λ_max(Θ)/n &lt; 2.</param>
    /// <param name="steps">Number of steps (≥ 0).</param>
    /// <param name="cancellation">Checked before every step.</param>
    /// <exception cref="ArgumentException">Bad shapes or non-finite data, or training diverged (the message names the step).</exception>
    public static TrainingResult TrainMse(Module<double> network, Tensor<double> x, Tensor<double> y, double learningRate, int steps,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new ArgumentException($"learning rate must be positive and finite, got {learningRate}.", nameof(learningRate));
        if (steps < 0) throw new ArgumentException($"steps must be ≥ 0, got {steps}.", nameof(steps));
        var (xs, ys) = CheckData(x, y);
        int n = xs.Dim(0);
        var xv = Var<double>.Constant(xs);
        var target = Var<double>.Constant(ys);
        var sgd = new Sgd<double>(network.Parameters(), learningRate);
        var loss = new double[steps + 1];
        for (int step = 0; step <= steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            var f = network.Forward(xv);
            if (f.Value.Length != ys.Length)
                throw new ArgumentException($"The network's output {ShapeUtil.Format(f.Value.ShapeArray)} does not match y {ShapeUtil.Format(ys.ShapeArray)} " +
                    $"({f.Value.Length / n} vs {ys.Length / n} outputs per input).", nameof(y));
            var diff = f.Reshape(ys.ShapeArray) - target;
            var l = (diff * diff).Sum() * (0.5 / n);
            loss[step] = l.Item();
            if (!double.IsFinite(loss[step]))
                throw new ArgumentException($"Training diverged: the loss is {loss[step]} at step {step} (learning rate {learningRate}); lower the learning rate.", nameof(learningRate));
            if (step == steps) break;
            sgd.ZeroGrad();
            l.Backward();
            sgd.Step();
        }
        sgd.ZeroGrad();
        return new TrainingResult(loss, learningRate * steps);
    }

    /// <summary>
    /// Outputs at <paramref name="xTest"/> of <paramref name="network"/> linearised around its current parameters and
    /// trained by gradient flow on the same loss for time <paramref name="time"/>: f₀(x*) + Θ̂(x*, X)·Θ̂⁻¹·(I − e^{−Θ̂t/n})·(y − f₀(X)),
    /// with Θ̂ its empirical NTK (<see cref="ModuleKernel.Ntk"/>, output-averaged: exact when the cross-output blocks
    /// vanish, as they do at large width).
    /// </summary>
    /// <returns>[n_test, outputs].</returns>
    public static Tensor<double> LinearizedMean(Module<double> network, Tensor<double> xTrain, Tensor<double> yTrain, Tensor<double> xTest,
        double time, double diagReg = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(xTest);
        var (xs, ys) = CheckData(xTrain, yTrain);
        int n = xs.Dim(0), m = ys.Dim(1), nt = xTest.Dim(0);
        var f0 = network.Predict(xs).ToArray();
        var f0Test = network.Predict(xTest).ToArray();
        if (f0.Length != n * m) throw new ArgumentException($"The network gives {f0.Length / n} outputs per input but y has {m}.", nameof(yTrain));
        var residual = ys.ToArray();
        for (int i = 0; i < residual.Length; i++) residual[i] -= f0[i];
        var theta = ModuleKernel.Ntk(network, xs);
        var thetaTest = ModuleKernel.Ntk(network, xTest, xs);
        var gd = new GradientDescentMse(theta, Tensor.FromArray(residual, n, m), learningRate: 1, diagReg);
        var mean = gd.Mean(thetaTest, time).ToArray();
        for (int i = 0; i < mean.Length; i++) mean[i] += f0Test[i];
        return Tensor.FromArray(mean, nt, m);
    }

    /// <summary>The loss 1/(2n)·Σᵢ ‖f(xᵢ) − yᵢ‖² of the network in eval mode.</summary>
    public static double MseLoss(Module<double> network, Tensor<double> x, Tensor<double> y)
    {
        ArgumentNullException.ThrowIfNull(network);
        var (xs, ys) = CheckData(x, y);
        var f = network.Predict(xs).ToArray();
        var t = ys.ToArray();
        if (f.Length != t.Length) throw new ArgumentException($"The network gives {f.Length / xs.Dim(0)} outputs per input but y has {t.Length / xs.Dim(0)}.", nameof(y));
        double s = 0;
        for (int i = 0; i < f.Length; i++) s += (f[i] - t[i]) * (f[i] - t[i]);
        return s / (2.0 * xs.Dim(0));
    }

    // Inputs and targets checked (finite, n ≥ 1, matching rows); targets as [n, outputs].
    private static (Tensor<double> X, Tensor<double> Y) CheckData(Tensor<double> x, Tensor<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank < 2 || x.Dim(0) < 1) throw new ArgumentException($"x {ShapeUtil.Format(x.ShapeArray)} must be a batch [n ≥ 1, …].", nameof(x));
        if (y.Rank is < 1 or > 2 || y.Dim(0) != x.Dim(0))
            throw new ArgumentException($"y {ShapeUtil.Format(y.ShapeArray)} must be [n] or [n, outputs] with n = {x.Dim(0)} rows like x {ShapeUtil.Format(x.ShapeArray)}.", nameof(y));
        foreach (var (t, name) in new[] { (x, nameof(x)), (y, nameof(y)) })
        {
            var a = t.ToArray();
            for (int i = 0; i < a.Length; i++)
                if (!double.IsFinite(a[i])) throw new ArgumentException($"{name} has a non-finite value ({a[i]}) at flat index {i}.", name);
        }
        var xc = x.IsContiguous ? x : x.Contiguous();
        var yc = y.IsContiguous ? y : y.Contiguous();
        return (xc, y.Rank == 1 ? yc.Reshape(y.Dim(0), 1) : yc);
    }
}
