using Distill.TeacherServer.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// Keys and values of a batch of rows, kept by the server in one buffer holding a part per past_key_values input,
/// [B,H,Capacity,D] each (one allocation, so that a block of a few megabytes is backed by huge pages).
/// Slots [0, <see cref="Width"/>) are filled; a run appends its new positions after them, so a batch extended token by
/// token is fed the same buffer every step and never copies its past. A row's positions need not be contiguous
/// (holes where a run's rows had fewer new tokens than the longest); the slot of each is in <see cref="BlockRow.Slots"/>.
/// </summary>
public sealed class KvBlock
{
    /// <summary>Spare slots added when a block grows: at least this many, so a growing batch is re-laid out only every so often.</summary>
    public const int MinimumHeadroom = 16;

    private readonly (int Heads, int HeadDim)[] shapes;
    private readonly KvBufferPool pool;
    private KvBuffer? buffer;
    private int preparedFor;

    /// <param name="shapes">(heads, head width) of each past_key_values input.</param>
    /// <param name="batch">Rows; row b occupies index b of the batch axis.</param>
    /// <param name="slots">Slots to hold from the start (more are added by <see cref="Reserve"/>).</param>
    /// <param name="pool">Where the buffer comes from and goes back to (<see cref="Release"/>).</param>
    public KvBlock(IReadOnlyList<(int Heads, int HeadDim)> shapes, int batch, int slots, KvBufferPool pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        this.shapes = [.. shapes];
        this.pool = pool;
        Batch = batch;
        Capacity = Padded(slots);
        var (rented, fresh) = pool.Rent(TotalLength(Capacity));
        if (!fresh)
        {
            rented.Clear(); // a masked slot must not hold NaN: its weight 0 times NaN would still be NaN
        }
        buffer = rented;
        Rows = new BlockRow[batch];
    }

    public int Batch { get; }

    /// <summary>Slots each buffer holds per (row, head).</summary>
    public int Capacity { get; private set; }

    /// <summary>Slots filled so far (for every row; a row's own positions are its <see cref="BlockRow.Slots"/>).</summary>
    public int Width { get; private set; }

    /// <summary>Row b's tokens and slots; the cache re-indexes a row when a run extends it.</summary>
    public BlockRow[] Rows { get; }

    public long Bytes => buffer?.Bytes ?? 0;

    private KvBuffer Buffer => buffer ?? throw new ObjectDisposedException(nameof(KvBlock));

    internal LinkedListNode<KvBlock>? Node { get; set; }

    /// <summary>Makes room for <paramref name="width"/> filled slots, copying the filled ones into a larger buffer if needed.</summary>
    public void Reserve(int width)
    {
        if (width <= Capacity)
        {
            return;
        }
        var capacity = Padded(width);
        var (grown, fresh) = pool.Rent(TotalLength(capacity));
        for (var i = 0; i < shapes.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            var from = Part(Buffer, i, Capacity);
            var to = Part(grown, i, capacity);
            for (var row = 0; row < Batch * heads; row++)
            {
                from.Slice(row * Capacity * headDim, Width * headDim).CopyTo(to[(row * capacity * headDim)..]);
                if (!fresh)
                {
                    to.Slice((row * capacity + Width) * headDim, (capacity - Width) * headDim).Clear();
                }
            }
        }
        pool.Return(Buffer);
        buffer = grown;
        Capacity = capacity;
    }

    /// <summary>A block that is being extended will likely outgrow its buffer: the next one is made ready while the steps between run.</summary>
    private void PrepareNextSize()
    {
        preparedFor = Capacity;
        var next = Padded(Capacity + 1);
        pool.Prepare([TotalLength(next)]);
    }

    /// <summary>Hands the buffer back to the pool; the block must not be used afterwards.</summary>
    public void Release()
    {
        if (buffer is not null)
        {
            pool.Return(buffer);
            buffer = null;
        }
    }

    /// <summary>
    /// The buffer's parts as a past of width <see cref="Capacity"/>: row b attends to the slots <paramref name="rowSlots"/>[b]
    /// lists, every other slot is masked. Dispose the returned values after the run.
    /// </summary>
    public PastFeed Feed(IReadOnlyList<int[]> rowSlots)
    {
        var mask = new long[Batch * Capacity];
        for (var b = 0; b < Batch; b++)
        {
            foreach (var slot in rowSlots[b])
            {
                mask[b * Capacity + slot] = 1;
            }
        }
        var values = new OrtValue[shapes.Length];
        for (var i = 0; i < shapes.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [Batch, heads, Capacity, headDim],
                Buffer.Address + (nint)Offset(i, Capacity) * sizeof(float), (long)Length(i, Capacity) * sizeof(float));
        }
        return new PastFeed(values, Capacity, mask);
    }

    /// <summary>Copies the run's new positions (all S of them, padding included) into slots [Width, Width + S); Width grows by S.</summary>
    public void Append(TeacherBatchOutput output)
    {
        var count = output.Width;
        var extended = Width > 0;
        Reserve(Width + count);
        for (var i = 0; i < shapes.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            var source = output.KeyValues(i, out var sourceWidth);
            var target = Part(Buffer, i, Capacity);
            for (var row = 0; row < Batch * heads; row++)
            {
                source.Slice((row * sourceWidth + output.KeyValueOffset) * headDim, count * headDim)
                    .CopyTo(target[(((row * Capacity) + Width) * headDim)..]);
            }
        }
        Width += count;
        if (extended && preparedFor != Capacity)
        {
            PrepareNextSize();
        }
    }

    /// <summary>Copies the first <paramref name="length"/> positions of another block's row into slots [0, length) of row <paramref name="row"/>.</summary>
    public void CopyPrefix(KvBlock source, int sourceRow, int length, int row)
    {
        var sourceSlots = source.Rows[sourceRow].Slots;
        for (var i = 0; i < shapes.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            var from = source.Part(source.Buffer, i, source.Capacity);
            var to = Part(Buffer, i, Capacity);
            for (var p = 0; p < length;)
            {
                var run = 1;
                while (p + run < length && sourceSlots[p + run] == sourceSlots[p] + run)
                {
                    run++;
                }
                for (var h = 0; h < heads; h++)
                {
                    var fromOffset = ((sourceRow * heads + h) * source.Capacity + sourceSlots[p]) * headDim;
                    var toOffset = ((row * heads + h) * Capacity + p) * headDim;
                    from.Slice(fromOffset, run * headDim).CopyTo(to[toOffset..]);
                }
                p += run;
            }
        }
    }

    /// <summary>Marks slots [0, width) as filled (after <see cref="CopyPrefix"/> filled each row's leading slots).</summary>
    public void Filled(int width)
    {
        Reserve(width);
        Width = width;
    }

    /// <summary>Input i's part of a buffer laid out for <paramref name="capacity"/> slots: [B,H_i,capacity,D_i].</summary>
    private Span<float> Part(KvBuffer of, int input, int capacity) => of.Slice(Offset(input, capacity), Length(input, capacity));

    private int Length(int input, int capacity) => checked(Batch * shapes[input].Heads * capacity * shapes[input].HeadDim);

    private long Offset(int input, int capacity)
    {
        var offset = 0L;
        for (var i = 0; i < input; i++)
        {
            offset += Length(i, capacity);
        }
        return offset;
    }

    private long TotalLength(int capacity) => Offset(shapes.Length, capacity);

    private static int Padded(int slots)
    {
        var wanted = slots + Math.Max(MinimumHeadroom, slots / 8);
        return (wanted + MinimumHeadroom - 1) / MinimumHeadroom * MinimumHeadroom;
    }
}

/// <summary>A row of a <see cref="KvBlock"/>: its tokens, the slot of each position, and the hash of each prefix.</summary>
public sealed record BlockRow(int[] Tokens, int[] Slots, ulong[] Hashes);
