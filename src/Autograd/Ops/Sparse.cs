using NativeFree.Tensors;
using NativeFree.Tensors.Sparse;

namespace NativeFree.Autograd;

/// <summary>
/// The fixed sparsity structure of a CSR matrix, prepared once for differentiation: for every
/// stored entry its row, and the transposed structure with the permutation that maps its entries
/// back to ours. Graph convolution builds one from the adjacency and reuses it every step.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class SparseStructure<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    internal readonly int Rows, Columns;
    internal readonly int[] RowPointers, ColumnIndices, EntryRows;
    internal readonly int[] TRowPointers, TColumnIndices, TPermutation;

    /// <summary>Takes the structure (not the values) of <paramref name="pattern"/>.</summary>
    public SparseStructure(CsrMatrix<T> pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Rows = pattern.Rows; Columns = pattern.Columns;
        RowPointers = pattern.RowPointers.ToArray();
        ColumnIndices = pattern.ColumnIndices.ToArray();
        int nnz = ColumnIndices.Length;
        EntryRows = new int[nnz];
        for (int i = 0; i < Rows; i++)
            for (int p = RowPointers[i]; p < RowPointers[i + 1]; p++) EntryRows[p] = i;
        // Transpose by counting sort on the column; TPermutation[q] = our entry that lands at q.
        TRowPointers = new int[Columns + 1];
        foreach (int c in ColumnIndices) TRowPointers[c + 1]++;
        for (int j = 0; j < Columns; j++) TRowPointers[j + 1] += TRowPointers[j];
        var next = TRowPointers[..Columns];
        TColumnIndices = new int[nnz];
        TPermutation = new int[nnz];
        for (int p = 0; p < nnz; p++)
        {
            int q = next[ColumnIndices[p]]++;
            TColumnIndices[q] = EntryRows[p];
            TPermutation[q] = p;
        }
    }

    /// <summary>Number of stored entries (the length of the values vector).</summary>
    public int Nnz => ColumnIndices.Length;

    /// <summary>Shape [rows, columns].</summary>
    public int[] Shape => [Rows, Columns];

    internal CsrMatrix<T> With(Tensor<T> values) => new(Rows, Columns, RowPointers, ColumnIndices, values.Contiguous().ToArray());
    internal CsrMatrix<T> TransposedWith(Tensor<T> values) => new(Columns, Rows, TRowPointers, TColumnIndices, values.Contiguous().ToArray());
}

// Sparse × dense products whose gradient flows to the dense operand and to the sparse values.
public sealed partial class Var<T>
{
    private sealed record SpMMState(SparseStructure<T> Structure, bool Transposed);

    /// <summary>
    /// <c>A·x</c> for a sparse <paramref name="a"/> with constant values and a dense matrix
    /// <paramref name="x"/> [columns, k]; the gradient flows to <paramref name="x"/>.
    /// </summary>
    public static Var<T> SpMM(CsrMatrix<T> a, Var<T> x)
        => SpMM(new SparseStructure<T>(a), Constant(Tensor.FromArray(a.Values.ToArray(), a.Nnz)), x);

    /// <summary>
    /// <c>A·x</c> where A has the structure <paramref name="structure"/> and the entry values
    /// <paramref name="values"/> [nnz]; gradients flow to both the values and <paramref name="x"/>
    /// [columns, k]. Rule: dvalues[e] = ⟨g[row(e), :], x[col(e), :]⟩, dx = Aᵀ·g.
    /// </summary>
    public static Var<T> SpMM(SparseStructure<T> structure, Var<T> values, Var<T> x) => SpMMCore(structure, values, x, transposed: false);

    /// <summary><c>Aᵀ·x</c> with the same conventions as <see cref="SpMM(SparseStructure{T}, Var{T}, Var{T})"/>; x is [rows, k].</summary>
    public static Var<T> SpMMTransposed(SparseStructure<T> structure, Var<T> values, Var<T> x) => SpMMCore(structure, values, x, transposed: true);

    private static Var<T> SpMMCore(SparseStructure<T> s, Var<T> values, Var<T> x, bool transposed)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (values.Rank != 1 || values.Shape[0] != s.Nnz)
            throw new ArgumentException($"SpMM values must have shape [{s.Nnz}] (one per stored entry); got {ShapeUtil.Format(values.Shape)}.", nameof(values));
        int inner = transposed ? s.Rows : s.Columns;
        if (x.Rank != 2 || x.Shape[0] != inner)
            throw new ArgumentException($"SpMM of a sparse [{s.Rows}, {s.Columns}]{(transposed ? "ᵀ" : "")} matrix needs a dense [{inner}, k] operand; got {ShapeUtil.Format(x.Shape)}.", nameof(x));
        // Aᵀ·x is A's transposed structure with permuted values: one kernel serves both.
        var matrix = transposed ? s.TransposedWith(Tensor.IndexSelect(values.Value, 0, s.TPermutation)) : s.With(values.Value);
        var y = SparseMatMul.SpMM(matrix, x.Value.Contiguous());
        return Record(OpRegistry.SpMM, y, SpMMRule, new SpMMState(s, transposed), values, x);
    }

    // Written with differentiable ops (index_select, mul, sum, spmm) so double backward works.
    // For y = A·x: dvalues[e] = Σ_k g[row(e), k]·x[col(e), k]; dx = Aᵀ·g. For y = Aᵀ·x swap row and col.
    private static readonly BackwardRule<T> SpMMRule = static (n, g) =>
    {
        var st = (SpMMState)n.State!;
        var s = st.Structure;
        Var<T> values = n.Input(0), x = n.Input(1);
        int[] outIdx = st.Transposed ? s.ColumnIndices : s.EntryRows;
        int[] inIdx = st.Transposed ? s.EntryRows : s.ColumnIndices;
        Var<T>? dValues = n.NeedsGrad(0) ? (g.IndexSelect(0, outIdx) * x.IndexSelect(0, inIdx)).Sum([1]) : null;
        Var<T>? dx = n.NeedsGrad(1) ? SpMMCore(s, values, g, !st.Transposed) : null;
        return [dValues, dx];
    };
}
