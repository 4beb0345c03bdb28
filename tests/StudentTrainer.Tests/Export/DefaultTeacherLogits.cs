using System.Globalization;
using System.Text.Json;
using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// A fingerprint of the default teacher's logits on test-split text: at every one of 2 × 200 positions, the
/// logsumexp over the whole vocabulary (in float64) and the raw logits at 16 fixed ids. It was taken from the
/// committed file before that file was replaced by its re-export with a KV cache, so the re-export can be checked
/// against the numbers of the file it replaced (fixture <c>Fixtures/austen-gpt-logits.json</c>).
/// </summary>
public sealed record DefaultTeacherLogits(int Rows, int Length, int[] ProbeIds, double[] LogSumExp, float[] ProbeLogits)
{
    public const string FixtureFile = "austen-gpt-logits.json";

    public static string FixturePath => Path.Combine(RepoRoot.Path, "tests", "StudentTrainer.Tests", "Export", "Fixtures", FixtureFile);

    public static DefaultTeacherLogits Load() =>
        JsonSerializer.Deserialize<DefaultTeacherLogits>(File.ReadAllText(FixturePath)) ?? throw new InvalidDataException(FixturePath);

    /// <summary>The fixture's test text: the first 2 × 200 tokens of the test split, as (2, 200) rows.</summary>
    public static TokenBatch Batch(string teacherFolder, int rows = 2, int length = 200)
    {
        LoadedTokenizer tokenizer = TokenizerLoader.Load(teacherFolder);
        var corpus = BookCorpus.Load(Path.Combine(RepoRoot.Path, "data", "austen"));
        long[] ids = corpus.Texts(CorpusSplit.Test).Take(2).SelectMany(tokenizer.Encode).Take(rows * length).Select(i => (long)i).ToArray();
        if (ids.Length != rows * length) throw new InvalidDataException("the test split is too short for the fixture");
        return new TokenBatch(ids, Enumerable.Repeat(1L, rows * length).ToArray(),
            Enumerable.Range(0, rows * length).Select(i => (long)(i % length)).ToArray(), rows, length, [length, length], [0, 0]);
    }

    /// <summary>The fingerprint of <paramref name="logits"/> (B, T, V) at the given probe ids.</summary>
    public static DefaultTeacherLogits Of(float[] logits, int rows, int length, int vocab, int[] probeIds)
    {
        var logSumExp = new double[rows * length];
        var probes = new float[rows * length * probeIds.Length];
        for (int p = 0; p < rows * length; p++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(p * vocab, vocab);
            double max = double.NegativeInfinity;
            foreach (float value in row) max = Math.Max(max, value);
            double sum = 0;
            foreach (float value in row) sum += Math.Exp(value - max);
            logSumExp[p] = max + Math.Log(sum);
            for (int i = 0; i < probeIds.Length; i++) probes[p * probeIds.Length + i] = row[probeIds[i]];
        }
        return new DefaultTeacherLogits(rows, length, probeIds, logSumExp, probes);
    }

    public static int[] DefaultProbeIds(int vocab) => [.. new Random(2026).GetItems(Enumerable.Range(0, vocab).ToArray(), 16)];

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this));

    public static string Describe(double value) => value.ToString("E2", CultureInfo.InvariantCulture);
}
