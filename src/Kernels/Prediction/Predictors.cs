using NativeFree.Kernels.Internal;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Kernels.Prediction;

/// <summary>How <c>diag_reg</c> is added to the train kernel's diagonal.</summary>
public enum DiagonalRegularization
{
    /// <summary>reg × (mean of the diagonal): scale-free, the neural-tangents default.</summary>
    Relative,
    /// <summary>reg itself (an observation-noise variance).</summary>
    Absolute,
}

internal static class PredictUtil
{
    /// <summary>
    /// L with A = L·Lᵀ (Linalg.Cholesky). A pivot at rounding level (n·ε·max diagonal) counts as singular too:
    /// duplicate inputs give an exact zero that rounding may turn into ±1e-17, which would pass and blow up the solve.
    /// Failures are ArgumentExceptions that suggest diag_reg.
    /// </summary>
    public static Tensor<double> Factor(double[] a, int n, string what)
    {
        double maxDiag = 0;
        for (int i = 0; i < n; i++) maxDiag = Math.Max(maxDiag, Math.Abs(a[i * n + i]));
        double tol = n * 2.220446049250313e-16 * maxDiag;
        string Message(int j, double pivot) => $"The {what} ({n}×{n}) is not positive definite (pivot {j} is {pivot:G4}). " +
            "Add diagonal regularisation (diag_reg, e.g. 1e-6 relative to the mean diagonal) or remove duplicate inputs.";
        for (int i = 0; i < a.Length; i++)
            if (!double.IsFinite(a[i])) throw new ArgumentException($"The {what} ({n}×{n}) has a non-finite entry ({a[i]}) at [{i / n}, {i % n}].");
        Tensor<double> l;
        try { l = Linalg.Cholesky(Tensor.FromArray(a, n, n)); }
        catch (NotPositiveDefiniteException e) { throw new ArgumentException(Message(e.PivotIndex, e.PivotValue), e); }
        var ls = l.AsSpan();
        for (int j = 0; j < n; j++)
        {
            double pivot = ls[j * n + j] * ls[j * n + j];
            if (!(pivot > tol)) throw new ArgumentException(Message(j, pivot));
        }
        return l;
    }

    /// <summary>(L·Lᵀ)⁻¹·B for B [n × m] (row-major), by two triangular solves.</summary>
    public static double[] CholeskySolve(Tensor<double> l, double[] b, int m)
    {
        var z = Linalg.SolveTriangular(l, Tensor.FromArray((double[])b.Clone(), l.Dim(0), m), lower: true);
        return Linalg.SolveTriangular(l, z, lower: true, transpose: true).ToArray();
    }

    public static (double[] A, int N) Square(Tensor<double> k, string name)
    {
        if (k.Rank != 2 || k.Dim(0) != k.Dim(1))
            throw new ArgumentException($"{name} must be a square matrix, got shape [{string.Join(", ", k.ShapeArray)}].", name);
        var a = k.ToArray();
        Finite(a, name);
        return (a, k.Dim(0));
    }

    public static (double[] A, int Rows, int Cols) Matrix(Tensor<double> y, int rows, string name, string rowsName)
    {
        var t = y.Rank == 1 ? y.Reshape(y.Dim(0), 1) : y;
        if (t.Rank != 2 || t.Dim(0) != rows)
            throw new ArgumentException($"{name} has shape [{string.Join(", ", y.ShapeArray)}] but {rowsName} has {rows} rows.", name);
        var a = t.ToArray();
        Finite(a, name);
        return (a, t.Dim(0), t.Dim(1));
    }

    public static void Finite(double[] a, string name)
    {
        for (int i = 0; i < a.Length; i++)
            if (!double.IsFinite(a[i])) throw new ArgumentException($"{name} has a non-finite value ({a[i]}) at flat index {i}.", name);
    }

    public static double[] Regularize(double[] k, int n, double reg, DiagonalRegularization mode)
    {
        if (!(reg >= 0) || !double.IsFinite(reg)) throw new ArgumentException($"diag_reg must be finite and ≥ 0, got {reg}.", nameof(reg));
        var a = (double[])k.Clone();
        if (reg == 0) return a;
        double add = reg;
        if (mode == DiagonalRegularization.Relative)
        {
            double tr = 0; for (int i = 0; i < n; i++) tr += a[i * n + i];
            add = reg * tr / n;
        }
        for (int i = 0; i < n; i++) a[i * n + i] += add;
        return a;
    }

    /// <summary>C[m×n] = A[m×k]·B[k×n] (optionally Bᵀ given as [n×k]).</summary>
    public static double[] Mul(double[] a, int m, int k, double[] b, int n, bool transB = false)
    {
        var c = new double[m * n];
        Gemm.Multiply(false, transB, m, n, k, 1.0, a, k, b, transB ? k : n, 0.0, c, n);
        return c;
    }
}

/// <summary>
/// Kernel ridge regression / GP posterior mean with a Cholesky factorisation of the regularised train kernel:
/// mean = K(test, train)·(K(train, train) + reg·I)⁻¹·y. Also the GP posterior covariance
/// K(test, test) − K(test, train)·(K + reg·I)⁻¹·K(train, test).
/// </summary>
public sealed class KernelRegression
{
    private readonly Tensor<double> _l;
    private readonly int _n, _m;
    private readonly double[] _alpha;

    /// <summary>Number of training points.</summary>
    public int TrainCount => _n;
    /// <summary>Number of output columns.</summary>
    public int Outputs => _m;
    /// <summary>yᵀ(K + reg·I)⁻¹y summed over output columns (the data-fit term, used by the Student-t posterior).</summary>
    public double QuadraticForm { get; }

    /// <summary>Factorises K(train, train) + reg·I. Throws, suggesting diag_reg, when it is not positive definite.</summary>
    public KernelRegression(Tensor<double> kTrainTrain, Tensor<double> yTrain, double diagReg = 0, DiagonalRegularization mode = DiagonalRegularization.Relative)
    {
        var (k, n) = PredictUtil.Square(kTrainTrain, nameof(kTrainTrain));
        var (y, _, m) = PredictUtil.Matrix(yTrain, n, nameof(yTrain), nameof(kTrainTrain));
        _n = n; _m = m;
        _l = PredictUtil.Factor(PredictUtil.Regularize(k, n, diagReg, mode), n, "train kernel");
        _alpha = PredictUtil.CholeskySolve(_l, y, m);
        double q = 0; for (int i = 0; i < y.Length; i++) q += y[i] * _alpha[i];
        QuadraticForm = q;
    }

    /// <summary>Posterior mean at test points from K(test, train) [t × n]: [t × m].</summary>
    public Tensor<double> Mean(Tensor<double> kTestTrain)
    {
        var (ks, t) = TestTrain(kTestTrain);
        return Tensor.FromArray(PredictUtil.Mul(ks, t, _n, _alpha, _m), t, _m);
    }

    /// <summary>Posterior covariance K(test, test) − K(test, train)(K + reg·I)⁻¹K(train, test), [t × t] (the same for every output column).</summary>
    public Tensor<double> Covariance(Tensor<double> kTestTrain, Tensor<double> kTestTest)
    {
        var (ks, t) = TestTrain(kTestTrain);
        var (kss, t2) = PredictUtil.Square(kTestTest, nameof(kTestTest));
        if (t2 != t) throw new ArgumentException($"kTestTest is {t2}×{t2} but kTestTrain has {t} rows.", nameof(kTestTest));
        // V = L⁻¹·K(train, test); cov = K** − VᵀV.
        var v = new double[_n * t];
        for (int i = 0; i < t; i++) for (int j = 0; j < _n; j++) v[j * t + i] = ks[i * _n + j];
        v = Linalg.SolveTriangular(_l, Tensor.FromArray(v, _n, t), lower: true).ToArray();
        var cov = (double[])kss.Clone();
        Gemm.Multiply(true, false, t, t, _n, -1.0, v, t, v, t, 1.0, cov, t);
        return Tensor.FromArray(cov, t, t);
    }

    /// <summary>(K + reg·I)⁻¹·B for B [n × c].</summary>
    internal double[] Solve(double[] b, int c)
    {
        return PredictUtil.CholeskySolve(_l, b, c);
    }

    internal (double[] Ks, int T) TestTrain(Tensor<double> kTestTrain)
    {
        if (kTestTrain.Rank != 2 || kTestTrain.Dim(1) != _n)
            throw new ArgumentException($"kTestTrain has shape [{string.Join(", ", kTestTrain.ShapeArray)}] but the train kernel is {_n}×{_n}.", nameof(kTestTrain));
        var a = kTestTrain.ToArray();
        PredictUtil.Finite(a, nameof(kTestTrain));
        return (a, kTestTrain.Dim(0));
    }
}

/// <summary>
/// The mean prediction of an infinitely wide network trained by gradient flow on the MSE loss
/// L = 1/(2n)·Σ‖f(xᵢ) − yᵢ‖², from zero-mean initial outputs: with K = VΛVᵀ (the NTK for training all
/// layers, the NNGP for the last layer only), f(test, t) = K(test, train)·V·diag((1 − e^{−ηλt/n})/λ)·Vᵀ·y,
/// and K(test, train)·K⁻¹·y at t = ∞. The eigendecomposition is computed once and reused for every t.
/// </summary>
public sealed class GradientDescentMse
{
    private readonly double[] _values, _vectors, _vty;
    private readonly int _n, _m;
    private readonly double _rate;

    /// <summary>Eigendecomposes K(train, train) (+ diagonal regularisation); <paramref name="learningRate"/> is η.</summary>
    public GradientDescentMse(Tensor<double> kTrainTrain, Tensor<double> yTrain, double learningRate = 1, double diagReg = 0,
        DiagonalRegularization mode = DiagonalRegularization.Relative, CancellationToken cancellation = default)
    {
        if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new ArgumentException($"learning rate must be positive and finite, got {learningRate}.", nameof(learningRate));
        var (k, n) = PredictUtil.Square(kTrainTrain, nameof(kTrainTrain));
        var (y, _, m) = PredictUtil.Matrix(yTrain, n, nameof(yTrain), nameof(kTrainTrain));
        _n = n; _m = m; _rate = learningRate;
        cancellation.ThrowIfCancellationRequested();
        var a = PredictUtil.Regularize(k, n, diagReg, mode);
        // Symmetrise: a kernel read from disk may differ from its transpose by rounding, which Eigh would reject.
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) { double h = 0.5 * (a[i * n + j] + a[j * n + i]); a[i * n + j] = h; a[j * n + i] = h; }
        var eig = Linalg.Eigh(Tensor.FromArray(a, n, n));
        (_values, _vectors) = (eig.Eigenvalues.ToArray(), eig.Eigenvectors.ToArray());
        cancellation.ThrowIfCancellationRequested();
        double scale = Math.Max(Math.Abs(_values[^1]), 1e-300);
        if (_values[0] < -1e-10 * scale)
            throw new ArgumentException($"The train kernel is not positive semi-definite (eigenvalue {_values[0]:G4}); add diag_reg.", nameof(kTrainTrain));
        _vty = new double[n * m];
        Gemm.Multiply(true, false, n, m, n, 1.0, _vectors, n, y, m, 0.0, _vty, m);
    }

    /// <summary>Eigenvalues of the (regularised) train kernel, ascending.</summary>
    public ReadOnlySpan<double> Eigenvalues => _values;

    /// <summary>Mean prediction at time <paramref name="t"/> (≥ 0, or +∞) from K(test, train) [t × n].</summary>
    public Tensor<double> Mean(Tensor<double> kTestTrain, double t)
    {
        if (kTestTrain.Rank != 2 || kTestTrain.Dim(1) != _n)
            throw new ArgumentException($"kTestTrain has shape [{string.Join(", ", kTestTrain.ShapeArray)}] but the train kernel is {_n}×{_n}.", nameof(kTestTrain));
        var ks = kTestTrain.ToArray();
        PredictUtil.Finite(ks, nameof(kTestTrain));
        var c = Coefficients(t);
        return Tensor.FromArray(PredictUtil.Mul(ks, kTestTrain.Dim(0), _n, c, _m), kTestTrain.Dim(0), _m);
    }

    /// <summary>Mean prediction on the training points themselves: (I − e^{−ηKt/n})·y.</summary>
    public Tensor<double> TrainMean(double t)
    {
        var g = new double[_n * _m];
        for (int j = 0; j < _n; j++)
        {
            double f = double.IsPositiveInfinity(t) ? 1 : -ScalarMath.Expm1(-_rate * Math.Max(_values[j], 0) * t / _n);
            for (int c = 0; c < _m; c++) g[j * _m + c] = f * _vty[j * _m + c];
        }
        return Tensor.FromArray(PredictUtil.Mul(_vectors, _n, _n, g, _m), _n, _m);
    }

    /// <summary>
    /// Covariance over initialisations [t × t] of the outputs at the test points at time <paramref name="t"/> (≥ 0, or +∞)
    /// when only the last layer is trained, so that this object's train kernel is the NNGP K (+ diag_reg, read as
    /// observation noise). With the linearised dynamics f_t = f₀ + K*·A(t)·(y − f₀(X)), A(t) = K⁻¹(I − e^{−ηKt/n}) and
    /// f₀ ~ GP(0, K): Σ(t) = K** − K*·V·diag((1 − e^{−2ηλt/n})/λ)·Vᵀ·K*ᵀ. It is the prior K** at t = 0 and the GP
    /// posterior covariance K** − K*K⁻¹K*ᵀ at t = ∞.
    /// </summary>
    /// <param name="kTestTrain">NNGP K(test, train) [t × n].</param>
    /// <param name="kTestTest">NNGP K(test, test) [t × t].</param>
    /// <param name="t">Training time ≥ 0 or +∞.</param>
    public Tensor<double> NngpCovariance(Tensor<double> kTestTrain, Tensor<double> kTestTest, double t)
    {
        var (ks, m) = TestBlock(kTestTrain, nameof(kTestTrain));
        var kss = TestTestBlock(kTestTest, m, nameof(kTestTest));
        var h = Gains(t, 2);
        var b = PredictUtil.Mul(ks, m, _n, _vectors, _n);          // B = K*·V [t × n]
        var bh = (double[])b.Clone();
        for (int i = 0; i < m; i++) for (int j = 0; j < _n; j++) bh[i * _n + j] *= h[j];
        Gemm.Multiply(false, true, m, m, _n, -1.0, bh, _n, b, _n, 1.0, kss, m); // K** − B·diag(h)·Bᵀ
        return Symmetric(kss, m);
    }

    /// <summary>
    /// Covariance over initialisations [t × t] of the outputs at the test points at time <paramref name="t"/> (≥ 0, or +∞)
    /// when all layers are trained, so that this object's train kernel is the NTK Θ (Lee et al. 2019, the
    /// <c>compute_cov</c> of neural-tangents' <c>gradient_descent_mse_ensemble</c>): with A(t) = Θ⁻¹(I − e^{−ηΘt/n})
    /// and f₀ ~ GP(0, K) for the NNGP K, Σ(t) = K** − Θ*·A·K*ᵀ − K*·Aᵀ·Θ*ᵀ + Θ*·A·K·Aᵀ·Θ*ᵀ. A comes from the cached
    /// eigendecomposition, so each t costs O(n²·t + n·t²). It is K** at t = 0 and equals
    /// <see cref="GpInference.Ntk"/> at t = ∞ (diag_reg regularises Θ only, as there).
    /// </summary>
    /// <param name="ntkTestTrain">NTK Θ(test, train) [t × n].</param>
    /// <param name="nngpTrainTrain">NNGP K(train, train) [n × n].</param>
    /// <param name="nngpTestTrain">NNGP K(test, train) [t × n].</param>
    /// <param name="nngpTestTest">NNGP K(test, test) [t × t].</param>
    /// <param name="t">Training time ≥ 0 or +∞.</param>
    public Tensor<double> NtkCovariance(Tensor<double> ntkTestTrain, Tensor<double> nngpTrainTrain, Tensor<double> nngpTestTrain,
        Tensor<double> nngpTestTest, double t)
    {
        var (thS, m) = TestBlock(ntkTestTrain, nameof(ntkTestTrain));
        var (kS, m1) = TestBlock(nngpTestTrain, nameof(nngpTestTrain));
        if (m1 != m) throw new ArgumentException($"nngpTestTrain has {m1} rows but ntkTestTrain has {m}.", nameof(nngpTestTrain));
        var kss = TestTestBlock(nngpTestTest, m, nameof(nngpTestTest));
        var g = Gains(t, 1);
        var (k, n) = PredictUtil.Square(nngpTrainTrain, nameof(nngpTrainTrain));
        if (n != _n) throw new ArgumentException($"nngpTrainTrain is {n}×{n} but the train NTK is {_n}×{_n}.", nameof(nngpTrainTrain));
        var cg = PredictUtil.Mul(thS, m, _n, _vectors, _n);         // C = Θ*·V, then C·diag(g)
        for (int i = 0; i < m; i++) for (int j = 0; j < _n; j++) cg[i * _n + j] *= g[j];
        var d = PredictUtil.Mul(kS, m, _n, _vectors, _n);           // D = K*·V
        Gemm.Multiply(false, true, m, m, _n, -1.0, cg, _n, d, _n, 1.0, kss, m);   // − Θ*·A·K*ᵀ
        Gemm.Multiply(false, true, m, m, _n, -1.0, d, _n, cg, _n, 1.0, kss, m);   // − K*·Aᵀ·Θ*ᵀ
        // P = Θ*·A = C·diag(g)·Vᵀ [t × n]; + P·K·Pᵀ costs O(t·n²), no n³ product.
        var pa = PredictUtil.Mul(cg, m, _n, _vectors, _n, transB: true);
        var pk = PredictUtil.Mul(pa, m, _n, k, _n);
        Gemm.Multiply(false, true, m, m, _n, 1.0, pk, _n, pa, _n, 1.0, kss, m);   // + Θ*·A·K·Aᵀ·Θ*ᵀ
        return Symmetric(kss, m);
    }

    // Per eigenvalue: (1 − e^{−p·aλ})/λ with a = ηt/n (→ p·a as λ → 0), or 1/λ at t = ∞.
    private double[] Gains(double t, int p)
    {
        if (!(t >= 0)) throw new ArgumentException($"training time must be ≥ 0 or +∞, got {t}.", nameof(t));
        var g = new double[_n];
        double scale = Math.Abs(_values[^1]);
        double a = p * _rate * t / _n;
        for (int j = 0; j < _n; j++)
        {
            double lam = _values[j];
            if (double.IsPositiveInfinity(t))
            {
                if (lam <= 1e-13 * scale)
                    throw new ArgumentException($"At t = ∞ the train kernel must be positive definite (eigenvalue {lam:G4}); add diag_reg.");
                g[j] = 1 / lam;
            }
            else g[j] = Math.Abs(lam) * a < 1e-12 ? a : -ScalarMath.Expm1(-a * lam) / lam;
        }
        return g;
    }

    private (double[] A, int Rows) TestBlock(Tensor<double> k, string name)
    {
        if (k.Rank != 2 || k.Dim(1) != _n)
            throw new ArgumentException($"{name} has shape [{string.Join(", ", k.ShapeArray)}] but the train kernel is {_n}×{_n}.", name);
        var a = k.ToArray();
        PredictUtil.Finite(a, name);
        return (a, k.Dim(0));
    }

    private static double[] TestTestBlock(Tensor<double> k, int rows, string name)
    {
        var (a, m) = PredictUtil.Square(k, name);
        if (m != rows) throw new ArgumentException($"{name} is {m}×{m} but the test/train blocks have {rows} rows.", name);
        return a;
    }

    private static Tensor<double> Symmetric(double[] c, int m)
    {
        for (int i = 0; i < m; i++) for (int j = 0; j < i; j++) { double h = 0.5 * (c[i * m + j] + c[j * m + i]); c[i * m + j] = h; c[j * m + i] = h; }
        return Tensor.FromArray(c, m, m);
    }

    private double[] Coefficients(double t)
    {
        if (!(t >= 0)) throw new ArgumentException($"training time must be ≥ 0 or +∞, got {t}.", nameof(t));
        var g = new double[_n * _m];
        double scale = Math.Abs(_values[^1]);
        for (int j = 0; j < _n; j++)
        {
            double lam = _values[j], f;
            if (double.IsPositiveInfinity(t))
            {
                if (lam <= 1e-13 * scale)
                    throw new ArgumentException($"At t = ∞ the train kernel must be positive definite (eigenvalue {lam:G4}); add diag_reg.");
                f = 1 / lam;
            }
            else
            {
                double a = _rate * t / _n;
                // (1 − e^{−aλ})/λ, → a as λ → 0 (expm1 keeps small λ accurate).
                f = Math.Abs(lam) * a < 1e-12 ? a : -ScalarMath.Expm1(-a * lam) / lam;
            }
            for (int c = 0; c < _m; c++) g[j * _m + c] = f * _vty[j * _m + c];
        }
        return PredictUtil.Mul(_vectors, _n, _n, g, _m);
    }
}

/// <summary>
/// GP inference for the infinite ensemble of networks trained to convergence (t = ∞).
/// 'nngp' (last layer trained, Bayesian): mean K*K⁻¹y, covariance K** − K*K⁻¹K*ᵀ.
/// 'ntk' (all layers trained by gradient flow from random initialisation, Lee et al. 2019):
/// mean Θ*Θ⁻¹y, covariance K** + Θ*Θ⁻¹KΘ⁻¹Θ*ᵀ − (Θ*Θ⁻¹K*ᵀ + K*Θ⁻¹Θ*ᵀ), with K the NNGP and Θ the NTK.
/// </summary>
public static class GpInference
{
    /// <summary>Posterior mean [t × m] and covariance [t × t] for the NNGP.</summary>
    public static (Tensor<double> Mean, Tensor<double> Covariance) Nngp(Tensor<double> kTrainTrain, Tensor<double> yTrain, Tensor<double> kTestTrain,
        Tensor<double> kTestTest, double diagReg = 0, DiagonalRegularization mode = DiagonalRegularization.Relative)
    {
        var reg = new KernelRegression(kTrainTrain, yTrain, diagReg, mode);
        return (reg.Mean(kTestTrain), reg.Covariance(kTestTrain, kTestTest));
    }

    /// <summary>Mean and covariance of NTK-trained networks at t = ∞ from the NNGP and NTK blocks.</summary>
    public static (Tensor<double> Mean, Tensor<double> Covariance) Ntk(
        Tensor<double> nngpTrainTrain, Tensor<double> ntkTrainTrain, Tensor<double> yTrain,
        Tensor<double> nngpTestTrain, Tensor<double> ntkTestTrain, Tensor<double> nngpTestTest,
        double diagReg = 0, DiagonalRegularization mode = DiagonalRegularization.Relative)
    {
        var theta = new KernelRegression(ntkTrainTrain, yTrain, diagReg, mode);
        var mean = theta.Mean(ntkTestTrain);
        var (K, n) = PredictUtil.Square(nngpTrainTrain, nameof(nngpTrainTrain));
        var (thS, t) = theta.TestTrain(ntkTestTrain);
        var (kS, t1) = theta.TestTrain(nngpTestTrain);
        var (kSS, t2) = PredictUtil.Square(nngpTestTest, nameof(nngpTestTest));
        if (t1 != t || t2 != t) throw new ArgumentException($"Test blocks disagree on the number of test points ({t}, {t1}, {t2}).");
        // A = Θ⁻¹Θ*ᵀ [n × t]
        var thT = new double[n * t];
        for (int i = 0; i < t; i++) for (int j = 0; j < n; j++) thT[j * t + i] = thS[i * n + j];
        var A = theta.Solve(thT, t);
        var KA = PredictUtil.Mul(K, n, n, A, t);                 // K·A [n × t]
        var cov = (double[])kSS.Clone();
        Gemm.Multiply(true, false, t, t, n, 1.0, A, t, KA, t, 1.0, cov, t);      // + AᵀKA
        Gemm.Multiply(false, false, t, t, n, -1.0, kS, n, A, t, 1.0, cov, t);    // − K*·A
        Gemm.Multiply(true, true, t, t, n, -1.0, A, t, kS, n, 1.0, cov, t);      // − Aᵀ·K*ᵀ
        return (mean, Tensor.FromArray(cov, t, t));
    }
}

/// <summary>
/// The Student-t process of a network whose last-layer weight variance has an inverse-gamma prior
/// σ² ~ InvGamma(α, β) ("Scale mixtures of NNGPs"): given σ², outputs are GP(0, σ²K) (each output column
/// independently, observations y | σ² ~ N(0, σ²(K + reg·I))). The posterior is σ² | y ~ InvGamma(α + nm/2,
/// β + ½·Σ yᵀ(K + reg·I)⁻¹y) and the predictive a multivariate t with ν = 2α + nm degrees of freedom, the
/// NNGP posterior mean, and scale matrix (2β + Σ yᵀ(K + reg·I)⁻¹y)/(2α + nm)·(K** − K*(K + reg·I)⁻¹K*ᵀ).
/// </summary>
public sealed class StudentTProcess
{
    /// <summary>Predictive mean [t × m] (equal to the NNGP posterior mean).</summary>
    public required Tensor<double> Mean { get; init; }
    /// <summary>Scale matrix [t × t] of the multivariate t (covariance = scale·ν/(ν − 2) for ν &gt; 2).</summary>
    public required Tensor<double> Scale { get; init; }
    /// <summary>Degrees of freedom ν = 2α + n·m.</summary>
    public required double DegreesOfFreedom { get; init; }
    /// <summary>Posterior inverse-gamma shape α + n·m/2.</summary>
    public required double PosteriorAlpha { get; init; }
    /// <summary>Posterior inverse-gamma scale β + ½·Σ yᵀ(K + reg·I)⁻¹y.</summary>
    public required double PosteriorBeta { get; init; }

    /// <summary>Predictive variances diag(scale)·ν/(ν − 2) [t], infinite when ν ≤ 2.</summary>
    public double[] Variance()
    {
        int t = Scale.Dim(0);
        double nu = DegreesOfFreedom, f = nu > 2 ? nu / (nu - 2) : double.PositiveInfinity;
        return Enumerable.Range(0, t).Select(i => Scale[i, i] * f).ToArray();
    }

    /// <summary>Posterior of the Student-t process with prior InvGamma(<paramref name="alpha"/>, <paramref name="beta"/>).</summary>
    public static StudentTProcess Fit(Tensor<double> kTrainTrain, Tensor<double> yTrain, Tensor<double> kTestTrain, Tensor<double> kTestTest,
        double alpha = 2, double beta = 2, double diagReg = 0, DiagonalRegularization mode = DiagonalRegularization.Relative)
    {
        if (!(alpha > 0) || !(beta > 0) || !double.IsFinite(alpha) || !double.IsFinite(beta))
            throw new ArgumentException($"Inverse-gamma prior needs α > 0 and β > 0, got α={alpha}, β={beta}.");
        var reg = new KernelRegression(kTrainTrain, yTrain, diagReg, mode);
        double nm = (double)reg.TrainCount * reg.Outputs;
        double a = alpha + nm / 2, b = beta + reg.QuadraticForm / 2;
        var cov = reg.Covariance(kTestTrain, kTestTest);
        double s = b / a; // (2β + q)/(2α + nm)
        return new StudentTProcess
        {
            Mean = reg.Mean(kTestTrain),
            Scale = Tensor.Mul(cov, s),
            DegreesOfFreedom = 2 * a,
            PosteriorAlpha = a,
            PosteriorBeta = b,
        };
    }
}

/// <summary>Classification by regression on one-hot targets (the usual way to use kernels for classes).</summary>
public static class OneHot
{
    /// <summary>[n × classes] targets: 1 − 1/classes for the true class and −1/classes elsewhere (zero-mean rows).</summary>
    public static Tensor<double> Encode(ReadOnlySpan<int> labels, int classes)
    {
        if (classes < 2) throw new ArgumentException($"Need at least 2 classes, got {classes}.", nameof(classes));
        var y = new double[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes) throw new ArgumentException($"Label {labels[i]} at index {i} is outside 0..{classes - 1}.", nameof(labels));
            for (int c = 0; c < classes; c++) y[i * classes + c] = (c == labels[i] ? 1.0 : 0.0) - 1.0 / classes;
        }
        return Tensor.FromArray(y, labels.Length, classes);
    }

    /// <summary>Argmax of each row of a prediction [t × classes].</summary>
    public static int[] Decode(Tensor<double> predictions)
    {
        if (predictions.Rank != 2) throw new ArgumentException($"Predictions must be [t × classes], got [{string.Join(", ", predictions.ShapeArray)}].", nameof(predictions));
        int t = predictions.Dim(0), c = predictions.Dim(1);
        var p = predictions.ToArray();
        var r = new int[t];
        for (int i = 0; i < t; i++)
        {
            int best = 0;
            for (int j = 1; j < c; j++) if (p[i * c + j] > p[i * c + best]) best = j;
            r[i] = best;
        }
        return r;
    }
}
