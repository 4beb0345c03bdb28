namespace Distill.StudentTrainer.Teacher;

/// <summary>No replica of the teacher answered within the patience limit.</summary>
public sealed class TeacherUnavailableException(string message) : InvalidOperationException(message);
