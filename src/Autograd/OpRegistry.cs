namespace NativeFree.Autograd;

/// <summary>How an op gets its derivative.</summary>
public enum OpKind
{
    /// <summary>Has its own derivative rule (a node in the graph).</summary>
    Primitive,
    /// <summary>Written with primitives; its derivative follows by the chain rule, no rule of its own.</summary>
    Derived,
}

/// <summary>
/// One differentiable op: its name, its family, its derivative in words (g is the adjoint of
/// the output, y the output), whether it is a primitive and whether its second derivative can be
/// non-zero (so double backward is worth checking).
/// </summary>
public sealed record OpInfo(string Name, string Family, string Rule, OpKind Kind, bool Curved)
{
    /// <summary>The name.</summary>
    public override string ToString() => Name;
}

/// <summary>
/// The table of every differentiable op, primitive or derived. Primitive rules live next to
/// their forward code in Ops/ (one file per family); this table is the index, used by graph
/// export, <c>explain</c>, and the test that demands a gradient check per op.
/// </summary>
public static class OpRegistry
{
    private static readonly List<OpInfo> _all = new();

    /// <summary>Every registered op, in table order.</summary>
    public static IReadOnlyList<OpInfo> All => _all;

    /// <summary>The op named <paramref name="name"/>, or null.</summary>
    public static OpInfo? Find(string name) => _all.Find(o => o.Name == name);

    private static OpInfo P(string name, string family, string rule, bool curved = true) => Register(new(name, family, rule, OpKind.Primitive, curved));
    private static OpInfo D(string name, string family, string rule, bool curved = true) => Register(new(name, family, rule, OpKind.Derived, curved));
    private static OpInfo Register(OpInfo op) { _all.Add(op); return op; }

    // ---- elementwise, binary (broadcasting; the engine sums gradients back to each input's shape)
    internal static readonly OpInfo Add = P("add", "elementwise", "da = g, db = g", curved: false);
    internal static readonly OpInfo Sub = D("sub", "elementwise", "a + (-b)", curved: false);
    internal static readonly OpInfo Mul = P("mul", "elementwise", "da = g*b, db = g*a");
    internal static readonly OpInfo Div = P("div", "elementwise", "da = g/b, db = -g*y/b");
    internal static readonly OpInfo Pow = P("pow", "elementwise", "da = g*b*a^(b-1), db = g*y*log(a)");
    internal static readonly OpInfo Maximum = P("maximum", "elementwise", "da = g*([a>b] + [a=b]/2), db = g - da", curved: false);
    internal static readonly OpInfo Minimum = P("minimum", "elementwise", "da = g*([a<b] + [a=b]/2), db = g - da", curved: false);
    internal static readonly OpInfo Where = P("where", "elementwise", "da = g*[c], db = g*[!c]", curved: false);
    // ---- elementwise, unary
    internal static readonly OpInfo Neg = P("neg", "elementwise", "dx = -g", curved: false);
    internal static readonly OpInfo Exp = P("exp", "elementwise", "dx = g*y");
    internal static readonly OpInfo Log = P("log", "elementwise", "dx = g/x");
    internal static readonly OpInfo Log1p = P("log1p", "elementwise", "dx = g/(1+x)");
    internal static readonly OpInfo Expm1 = P("expm1", "elementwise", "dx = g*(y+1)");
    internal static readonly OpInfo Sqrt = P("sqrt", "elementwise", "dx = g/(2y)");
    internal static readonly OpInfo Abs = P("abs", "elementwise", "dx = g*sign(x) (0 at 0)", curved: false);
    internal static readonly OpInfo Tanh = P("tanh", "elementwise", "dx = g*(1-y^2)");
    internal static readonly OpInfo Sigmoid = P("sigmoid", "elementwise", "dx = g*y*(1-y)");
    internal static readonly OpInfo Relu = P("relu", "elementwise", "dx = g*[x>0] (0 at 0)", curved: false);
    internal static readonly OpInfo Gelu = P("gelu", "elementwise", "dx = g*(Phi(x) + x*phi(x))");
    internal static readonly OpInfo Softplus = P("softplus", "elementwise", "dx = g*sigmoid(x)");
    internal static readonly OpInfo Sin = P("sin", "elementwise", "dx = g*cos(x)");
    internal static readonly OpInfo Cos = P("cos", "elementwise", "dx = -g*sin(x)");
    internal static readonly OpInfo Erf = P("erf", "elementwise", "dx = g*2/sqrt(pi)*exp(-x^2)");
    internal static readonly OpInfo PowScalar = P("pow_scalar", "elementwise", "dx = g*p*x^(p-1)");
    internal static readonly OpInfo Clamp = P("clamp", "elementwise", "dx = g*[lo<=x<=hi]", curved: false);
    internal static readonly OpInfo Square = D("square", "elementwise", "x*x");
    internal static readonly OpInfo Rsqrt = D("rsqrt", "elementwise", "x^(-1/2)");
    // ---- reductions
    internal static readonly OpInfo Sum = P("sum", "reduction", "dx = expand(g)", curved: false);
    internal static readonly OpInfo Dot = P("dot", "reduction", "da = g*b, db = g*a");
    internal static readonly OpInfo Max = P("max", "reduction", "dx = expand(g)*[x=y]/count(x=y)", curved: false);
    internal static readonly OpInfo Min = P("min", "reduction", "dx = expand(g)*[x=y]/count(x=y)", curved: false);
    internal static readonly OpInfo LogSumExp = P("logsumexp", "reduction", "dx = expand(g)*exp(x-y)");
    internal static readonly OpInfo Mean = D("mean", "reduction", "sum(x)/n", curved: false);
    internal static readonly OpInfo Variance = D("var", "reduction", "mean((x-mean(x))^2)*n/(n-ddof)");
    internal static readonly OpInfo Norm = P("norm", "reduction", "dx = sign(x)*|x|^(p-1)*g/y^(p-1), 0 where y = 0");
    internal static readonly OpInfo Softmax = D("softmax", "reduction", "exp(log_softmax(x))");
    internal static readonly OpInfo LogSoftmax = D("log_softmax", "reduction", "x - logsumexp(x)");
    // ---- shape and views
    internal static readonly OpInfo Reshape = P("reshape", "shape", "dx = reshape(g, shape(x))", curved: false);
    internal static readonly OpInfo Permute = P("permute", "shape", "dx = permute(g, inverse order)", curved: false);
    internal static readonly OpInfo Expand = P("expand", "shape", "dx = g (the engine sums it back to shape(x))", curved: false);
    internal static readonly OpInfo Slice = P("slice", "shape", "dx = embed_slice(g)", curved: false);
    internal static readonly OpInfo EmbedSlice = P("embed_slice", "shape", "dx = slice(g)", curved: false);
    internal static readonly OpInfo Concat = P("concat", "shape", "dx_i = slice i of g", curved: false);
    internal static readonly OpInfo Pad = P("pad", "shape", "dx = the unpadded slice of g", curved: false);
    internal static readonly OpInfo Transpose = D("transpose", "shape", "permute swapping two axes", curved: false);
    internal static readonly OpInfo Stack = D("stack", "shape", "concat of unsqueezed inputs", curved: false);
    internal static readonly OpInfo Select = D("select", "shape", "slice then reshape", curved: false);
    // ---- linear algebra
    internal static readonly OpInfo MatMul = P("matmul", "linalg", "da = g @ b^T, db = a^T @ g");
    internal static readonly OpInfo MatMulT = P("matmul_t", "linalg", "of op(a) @ op(b): da = ta ? op(b) @ g^T : g @ op(b)^T, db = tb ? g^T @ op(a) : op(a)^T @ g");
    internal static readonly OpInfo SpMM = P("spmm", "linalg", "dvalues[e] = <g[row(e)], x[col(e)]>, dx = A^T @ g");
    // ---- indexing
    internal static readonly OpInfo Gather = P("gather", "indexing", "dx = scatter_add(0, index, g)", curved: false);
    internal static readonly OpInfo ScatterAdd = P("scatter_add", "indexing", "dbase = g, dsrc = gather(g, index)", curved: false);
    internal static readonly OpInfo IndexSelect = P("index_select", "indexing", "dx = index_add(0, index, g)", curved: false);
    internal static readonly OpInfo IndexAdd = P("index_add", "indexing", "dbase = g, dsrc = index_select(g, index)", curved: false);
    // ---- patches, convolution, pooling, normalisation
    internal static readonly OpInfo Im2Col = P("im2col", "conv", "dx = col2im(g)", curved: false);
    internal static readonly OpInfo Col2Im = P("col2im", "conv", "dcols = im2col(g)", curved: false);
    internal static readonly OpInfo Conv2d = D("conv2d", "conv", "matmul(weight, im2col(x)) + bias");
    internal static readonly OpInfo Conv1d = D("conv1d", "conv", "conv2d of height 1");
    internal static readonly OpInfo MaxPool2d = D("max_pool2d", "conv", "gather of the first maximum of each im2col patch (ceil mode: -inf padded on the right); the whole g goes to it", curved: false);
    internal static readonly OpInfo AvgPool2d = D("avg_pool2d", "conv", "sum over im2col patches / window size (clipped to the padded input, or to the input without count_include_pad)", curved: false);
    internal static readonly OpInfo MaxPool1d = D("max_pool1d", "conv", "max_pool2d of height 1", curved: false);
    internal static readonly OpInfo AvgPool1d = D("avg_pool1d", "conv", "avg_pool2d of height 1", curved: false);
    internal static readonly OpInfo LayerNorm = D("layer_norm", "nn", "(x-mean)/sqrt(var+eps)*w + b");
    internal static readonly OpInfo BatchNorm = D("batch_norm", "nn", "(x-mean_c)/sqrt(var_c+eps)*w_c + b_c");
    // ---- neural-network functions and losses (all derived)
    internal static readonly OpInfo Embedding = D("embedding", "nn", "index_select(weight, 0, ids)", curved: false);
    internal static readonly OpInfo Dropout = D("dropout", "nn", "x * mask/(1-p)", curved: false);
    internal static readonly OpInfo Mse = D("mse_loss", "loss", "mean((a-b)^2)");
    internal static readonly OpInfo CrossEntropy = D("cross_entropy", "loss", "-mean(sum(target*log_softmax(logits)))");
    internal static readonly OpInfo CrossEntropyIndex = P("cross_entropy_index", "loss", "dlogits = g*(alpha*softmax(logits) - t)/D, t = (1-eps)*w[y]*onehot + eps/C*w (0 if ignored), alpha = rowsum(t), D = sum of w[y] not ignored");
    internal static readonly OpInfo CrossEntropyIndexGrad = P("cross_entropy_index_grad", "loss", "of y = (alpha*p - t)*g/D, p = softmax(logits): dlogits = (g/D)*alpha*p*(u - rowsum(u*p)), dg = sum(u*(alpha*p - t))/D");
    internal static readonly OpInfo Huber = D("huber_loss", "loss", "mean(where(|d|<=delta, d^2/2, delta*(|d|-delta/2)))");
    internal static readonly OpInfo Hinge = D("hinge_loss", "loss", "mean(relu(1 - y*s))", curved: false);
    internal static readonly OpInfo MultiMargin = D("multi_margin_loss", "loss", "reduce(sum_{j!=y} w[y]*relu(margin - x[y] + x[j])^p / C)");
    internal static readonly OpInfo SquaredHinge = D("squared_hinge_loss", "loss", "mean(relu(1 - y*s)^2)");
}
