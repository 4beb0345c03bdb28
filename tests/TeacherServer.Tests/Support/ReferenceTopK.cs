using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>
/// The independent computation the server must match: the plain model.onnx (no appended nodes) run on one
/// unpadded sequence, then log_softmax(logits/τ) and a sort in C# doubles.
/// </summary>
/// <param name="vocabLimit">Keep only the first that many logits of each position (a padded vocabulary).</param>
public sealed class ReferenceTopK(string modelPath, int? vocabLimit = null) : IDisposable
{
    private readonly InferenceSession session = new(modelPath);

    /// <summary>[T][V] logits of one sequence.</summary>
    public float[][] Logits(int[] tokens)
    {
        var length = tokens.Length;
        long[] shape = [1, length];
        var feeds = new Dictionary<string, OrtValue>();
        try
        {
            foreach (var (name, meta) in session.InputMetadata)
            {
                feeds[name] = name switch
                {
                    "input_ids" => OrtValue.CreateTensorValueFromMemory(tokens.Select(t => (long)t).ToArray(), shape),
                    "attention_mask" => OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, length).ToArray(), shape),
                    "position_ids" => OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, length).Select(t => (long)t).ToArray(), shape),
                    "use_cache_branch" => OrtValue.CreateTensorValueFromMemory(new[] { false }, [1]),
                    _ when name.StartsWith("past_key_values.", StringComparison.Ordinal) =>
                        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, meta.ElementDataType, [1, meta.Dimensions[1], 0, meta.Dimensions[3]]),
                    _ => throw new InvalidOperationException($"Unexpected input {name}"),
                };
            }
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, feeds.Keys.ToArray(), feeds.Values.ToArray(), ["logits"]);
            var logits = outputs[0].GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16
                ? outputs[0].GetTensorDataAsSpan<Float16>().ToArray().Select(h => h.ToFloat()).ToArray()
                : outputs[0].GetTensorDataAsSpan<float>().ToArray();
            var vocab = logits.Length / length;
            var kept = Math.Min(vocab, vocabLimit ?? vocab);
            return Enumerable.Range(0, length).Select(t => logits.AsSpan(t * vocab, kept).ToArray()).ToArray();
        }
        finally
        {
            foreach (var value in feeds.Values)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>log_softmax(logits/τ) per position, in doubles.</summary>
    public double[][] LogProbs(int[] tokens, double temperature) =>
        Logits(tokens).Select(row =>
        {
            var scaled = row.Select(l => l / temperature).ToArray();
            var max = scaled.Max();
            var logSum = max + Math.Log(scaled.Sum(s => Math.Exp(s - max)));
            return scaled.Select(s => s - logSum).ToArray();
        }).ToArray();

    public void Dispose() => session.Dispose();
}
