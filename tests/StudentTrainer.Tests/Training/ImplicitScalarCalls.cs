using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace Distill.StudentTrainer.Tests.Training;

/// <summary>
/// Finds, in compiled IL, the calls that hand native code a TorchSharp <see cref="Scalar"/> nobody keeps alive: a Scalar
/// made by an implicit conversion (or <c>ToScalar()</c>) as an argument is unreachable once its handle is read, so a
/// garbage collection on another thread may finalize it, freeing its native memory, while the native call still reads it.
/// A TorchSharp method counts as making such a Scalar when it converts a value itself (e.g. <c>Tensor.add(Tensor)</c>
/// passes alpha = 1) or calls a TorchSharp method that does.
/// </summary>
internal static class ImplicitScalarCalls
{
    private const BindingFlags Everything =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly Lazy<HashSet<MethodBase>> TorchSharpMakers = new(FindTorchSharpMakers);

    /// <summary>Every call in the methods of <paramref name="types"/> (lambdas and local functions included) that makes a temporary Scalar.</summary>
    /// <param name="mayConvert">Types whose own conversions are deliberate (a cache, or a Scalar held by <c>using</c>).</param>
    public static IReadOnlyList<string> In(IEnumerable<Type> types, IReadOnlySet<Type> mayConvert)
    {
        var found = new List<string>();
        foreach (Type type in types)
        foreach (MethodBase method in MethodsOf(type))
        foreach (MethodBase callee in Callees(method))
        {
            bool converts = IsConversion(callee) && !mayConvert.Contains(Outermost(type));
            if (converts || TorchSharpMakers.Value.Contains(callee))
                found.Add($"{type.FullName}.{method.Name} → {callee.DeclaringType?.Name}.{callee.Name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))})");
        }
        return found;
    }

    private static HashSet<MethodBase> FindTorchSharpMakers()
    {
        Dictionary<MethodBase, MethodBase[]> calls = typeof(Scalar).Assembly.GetTypes()
            .SelectMany(MethodsOf)
            .ToDictionary(m => m, m => Callees(m).ToArray());
        var makers = calls.Where(c => c.Value.Any(IsConversion)).Select(c => c.Key).ToHashSet();
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach ((MethodBase method, MethodBase[] callees) in calls)
                if (!makers.Contains(method) && callees.Any(makers.Contains)) grew = makers.Add(method) | true;
        }
        return makers;
    }

    private static bool IsConversion(MethodBase callee) =>
        callee is MethodInfo { ReturnType: var returned } && returned == typeof(Scalar)
        && (callee.Name == "op_Implicit" || callee.Name == nameof(ScalarExtensionMethods.ToScalar));

    private static Type Outermost(Type type) => type.DeclaringType is { } outer ? Outermost(outer) : type;

    private static IEnumerable<MethodBase> MethodsOf(Type type) =>
        type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything));

    /// <summary>The methods a method's IL calls (call, callvirt, newobj, ldftn), resolved as declared.</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException) { yield break; }
        if (il is null) yield break;
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            OpCode op = OpCodesByValue[value];
            at += op.Size;
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = Resolve(method.Module, BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                if (callee is not null) yield return callee;
            }
            at += OperandSize(op, il, at);
        }
    }

    private static MethodBase? Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        try
        {
            MethodBase callee = module.ResolveMethod(token, typeArguments, methodArguments)!;
            if (callee is MethodInfo { IsGenericMethod: true } generic) callee = generic.GetGenericMethodDefinition();
            return callee.DeclaringType is { IsConstructedGenericType: true } constructed
                ? MethodBase.GetMethodFromHandle(callee.MethodHandle, constructed.GetGenericTypeDefinition().TypeHandle)
                : callee;
        }
        catch (Exception e) when (e is ArgumentException or TypeLoadException or FileNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }

    private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
