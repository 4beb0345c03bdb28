using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>Shape, dtype and device checks of the divergence inputs, with messages that name the offending tensor.</summary>
internal static class DivergenceInputs
{
    public static void Check(Tensor studentLogits, Tensor teacherIds, Tensor teacherLogProbs, DivergenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        ArgumentNullException.ThrowIfNull(teacherIds);
        ArgumentNullException.ThrowIfNull(teacherLogProbs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        if (studentLogits.dim() != 3 || !is_floating_point(studentLogits))
            throw new ArgumentException($"student logits must be a floating-point (B, T, V) tensor, got {Describe(studentLogits)}", nameof(studentLogits));
        if (teacherIds.dim() != 3 || teacherIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"teacher ids must be an int64 (B, T, k) tensor, got {Describe(teacherIds)}", nameof(teacherIds));
        if (!teacherLogProbs.shape.SequenceEqual(teacherIds.shape) || !is_floating_point(teacherLogProbs))
            throw new ArgumentException(
                $"teacher log-probs must be a floating-point tensor shaped like the ids {Shape(teacherIds)}, got {Describe(teacherLogProbs)}",
                nameof(teacherLogProbs));
        if (teacherIds.shape[0] != studentLogits.shape[0] || teacherIds.shape[1] != studentLogits.shape[1])
            throw new ArgumentException(
                $"teacher ids {Shape(teacherIds)} and student logits {Shape(studentLogits)} differ in batch or time", nameof(teacherIds));
        long k = teacherIds.shape[2], vocab = studentLogits.shape[2];
        if (k < 1 || k > vocab)
            throw new ArgumentException($"the teacher's k must be in [1, V = {vocab}], got {k}", nameof(teacherIds));
        CheckDevice(teacherIds, studentLogits, nameof(teacherIds));
        CheckDevice(teacherLogProbs, studentLogits, nameof(teacherLogProbs));
    }

    public static void CheckMask(Tensor mask, Tensor studentLogits)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dtype != ScalarType.Bool || mask.dim() != 2
            || mask.shape[0] != studentLogits.shape[0] || mask.shape[1] != studentLogits.shape[1])
            throw new ArgumentException(
                $"mask must be a bool (B, T) tensor matching the logits {Shape(studentLogits)}, got {Describe(mask)}", nameof(mask));
        CheckDevice(mask, studentLogits, nameof(mask));
    }

    private static void CheckDevice(Tensor tensor, Tensor studentLogits, string name)
    {
        if (tensor.device_type != studentLogits.device_type || tensor.device_index != studentLogits.device_index)
            throw new ArgumentException($"{name} is on {tensor.device} but the student logits are on {studentLogits.device}", name);
    }

    private static string Shape(Tensor tensor) => $"({string.Join(", ", tensor.shape)})";

    private static string Describe(Tensor tensor) => $"{tensor.dtype} {Shape(tensor)}";
}
