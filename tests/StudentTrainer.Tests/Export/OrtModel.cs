using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>An ONNX Runtime session over an exported model.onnx, fed through the OrtValue API.</summary>
public sealed class OrtModel : IDisposable
{
    private readonly InferenceSession _session;

    public OrtModel(string modelPath)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(modelPath, options);
    }

    public IReadOnlyList<string> InputNames => _session.InputNames;
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Runs the model and copies out the requested float outputs with their shapes.</summary>
    /// <param name="longInputs">int64 inputs: name → (row-major values, shape).</param>
    /// <param name="floatInputs">float32 inputs, e.g. past_key_values (may have a zero dimension).</param>
    public IReadOnlyDictionary<string, (float[] Values, long[] Shape)> Run(
        IReadOnlyDictionary<string, (long[] Values, long[] Shape)> longInputs,
        IReadOnlyDictionary<string, (float[] Values, long[] Shape)>? floatInputs,
        params string[] outputNames)
    {
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, (data, shape)) in longInputs)
            {
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
            }
            foreach (var (name, (data, shape)) in floatInputs ?? new Dictionary<string, (float[], long[])>())
            {
                names.Add(name);
                values.Add(data.Length == 0
                    ? OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape)
                    : OrtValue.CreateTensorValueFromMemory(data, shape));
            }
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, names, values, outputNames);
            var result = new Dictionary<string, (float[], long[])>();
            for (int i = 0; i < outputNames.Length; i++)
            {
                OrtValue output = outputs[i];
                result[outputNames[i]] = (output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
            }
            return result;
        }
        finally
        {
            foreach (OrtValue value in values) value.Dispose();
        }
    }

    /// <summary>logits (B, T, V) for a batch of input_ids, attention_mask, position_ids.</summary>
    /// <remarks>A model with past_key_values inputs gets empty ones unless <paramref name="past"/> is given.</remarks>
    public (float[] Values, long[] Shape) Logits(TokenBatch batch, IReadOnlyDictionary<string, (float[] Values, long[] Shape)>? past = null) =>
        Run(new Dictionary<string, (long[], long[])>
        {
            ["input_ids"] = (batch.InputIds, batch.Shape),
            ["attention_mask"] = (batch.AttentionMask, batch.Shape),
            ["position_ids"] = (batch.PositionIds, batch.Shape),
        }, past ?? EmptyPast(batch.Batch), "logits")["logits"];

    /// <summary>Zero-length past_key_values for every such input (none for a model without them).</summary>
    public IReadOnlyDictionary<string, (float[] Values, long[] Shape)> EmptyPast(int batch) =>
        _session.InputMetadata.Where(input => input.Key.StartsWith("past_key_values.", StringComparison.Ordinal))
            .ToDictionary(input => input.Key, input => (Array.Empty<float>(), new long[] { batch, input.Value.Dimensions[1], 0, input.Value.Dimensions[3] }));

    public void Dispose() => _session.Dispose();
}
