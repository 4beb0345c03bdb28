using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>
/// Divergence inputs held as plain arrays (row-major), so the reference and the tensors see the same numbers.
/// Each position's teacher ids are its top-k tokens, sorted by probability, descending.
/// </summary>
internal sealed record TopKCase(int Batch, int Time, int Vocab, int K, double[] Logits, long[] Ids, double[] TeacherLogProbs, bool[] Mask)
{
    public int Positions => Batch * Time;

    /// <summary>Teacher log-probs = log_softmax(scale · N(0,1)) per position, student logits = studentScale · N(0,1).</summary>
    public static TopKCase Random(int seed, int batch, int time, int vocab, int k, double teacherScale = 2.0, double studentScale = 2.0)
    {
        var random = new Random(seed);
        var teacher = new double[batch * time][];
        for (int position = 0; position < teacher.Length; position++)
            teacher[position] = LogSoftmax(Normals(random, vocab, teacherScale));
        double[] logits = Normals(random, batch * time * vocab, studentScale);
        bool[] mask = Enumerable.Repeat(true, batch * time).ToArray();
        return FromTeacher(batch, time, k, teacher, logits, mask);
    }

    /// <summary>Takes the top k of each position's full teacher log-distribution (V entries).</summary>
    public static TopKCase FromTeacher(int batch, int time, int k, double[][] teacherFull, double[] logits, bool[] mask)
    {
        int vocab = teacherFull[0].Length;
        var ids = new long[batch * time * k];
        var logProbs = new double[batch * time * k];
        for (int position = 0; position < batch * time; position++)
        {
            double[] row = teacherFull[position];
            int[] top = Enumerable.Range(0, vocab).OrderByDescending(i => row[i]).Take(k).ToArray();
            for (int j = 0; j < k; j++)
            {
                ids[position * k + j] = top[j];
                logProbs[position * k + j] = row[top[j]];
            }
        }
        return new TopKCase(batch, time, vocab, k, logits, ids, logProbs, mask);
    }

    /// <summary>Every number rounded to float32, so a float64 reference sees what a float32 run sees.</summary>
    public TopKCase RoundedToFloat32() =>
        this with { Logits = Logits.Select(x => (double)(float)x).ToArray(), TeacherLogProbs = TeacherLogProbs.Select(x => (double)(float)x).ToArray() };

    public double[] StudentLogitsAt(int position) => Logits[(position * Vocab)..((position + 1) * Vocab)];

    public long[] IdsAt(int position) => Ids[(position * K)..((position + 1) * K)];

    public double[] TeacherLogProbsAt(int position) => TeacherLogProbs[(position * K)..((position + 1) * K)];

    public double[] Reference(DivergenceKind kind, DivergenceOptions options) =>
        Enumerable.Range(0, Positions)
            .Select(position => DivergenceReference.TopK(kind, IdsAt(position), TeacherLogProbsAt(position), StudentLogitsAt(position), options))
            .ToArray();

    public double ReferenceMaskedMean(DivergenceKind kind, DivergenceOptions options)
    {
        double[] values = Reference(kind, options);
        int[] counted = Enumerable.Range(0, Positions).Where(i => Mask[i]).ToArray();
        return counted.Length == 0 ? 0 : counted.Average(i => values[i]);
    }

    public Tensor LogitsTensor(ScalarType dtype, bool requiresGrad = false) =>
        tensor(Logits, [Batch, Time, Vocab], ScalarType.Float64).to_type(dtype).requires_grad_(requiresGrad);

    public Tensor IdsTensor() => tensor(Ids, [Batch, Time, K], ScalarType.Int64);

    public Tensor TeacherTensor(ScalarType dtype) => tensor(TeacherLogProbs, [Batch, Time, K], ScalarType.Float64).to_type(dtype);

    public Tensor MaskTensor() => tensor(Mask, [Batch, Time], ScalarType.Bool);

    public Tensor Compute(DivergenceKind kind, ScalarType dtype, DivergenceOptions options, Tensor? logits = null) =>
        Divergences.Compute(kind, logits ?? LogitsTensor(dtype), IdsTensor(), TeacherTensor(dtype), MaskTensor(), options);

    public double[] PerPosition(DivergenceKind kind, ScalarType dtype, DivergenceOptions options) =>
        Values(Divergences.PerPosition(kind, LogitsTensor(dtype), IdsTensor(), TeacherTensor(dtype), options));

    public static double[] Values(Tensor tensor) => tensor.detach().to_type(ScalarType.Float64).data<double>().ToArray();

    public static double[] LogSoftmax(double[] logits)
    {
        double max = logits.Max();
        double logNormaliser = max + Math.Log(logits.Sum(x => Math.Exp(x - max)));
        return logits.Select(x => x - logNormaliser).ToArray();
    }

    public static double[] Normals(Random random, int count, double scale)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
            values[i] = scale * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return values;
    }
}
