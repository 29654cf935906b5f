using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Edgewise.Cli.Tests;

/// <summary>
/// The <c>--json</c> output contracts as the native binary sees them: generated only, with every enum they reach
/// printed as a string (a source-generated contract without a converter prints an enum as its number, silently).
/// </summary>
public class CliJsonContractTests
{
    public static TheoryData<string> OutputTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in RootTypes())
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OutputTypes))]
    public void EveryEnumReachedPrintsAsString(string typeName)
    {
        var type = RootTypes().Single(t => t.FullName == typeName);
        var options = CliJsonContext.OutputOptions;
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        Visit(type, options, new HashSet<Type>(), missing);

        Assert.True(missing.Count == 0, "no string converter for: " + string.Join(", ", missing));
    }

    [Fact]
    public void ConvertersPrintSnakeCaseNames()
    {
        var json = JsonSerializer.Serialize(new VerifyOutput([], 0), CliJsonContext.Info<VerifyOutput>(CliJsonContext.OutputOptions));

        Assert.Equal("{\n  \"models\": [],\n  \"failed\": 0\n}", json.ReplaceLineEndings("\n"));
    }

    private static IEnumerable<Type> RootTypes() => typeof(CliJsonContext).GetCustomAttributesData()
        .Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
        .Select(a => (Type)a.ConstructorArguments[0].Value!);

    private static void Visit(Type type, JsonSerializerOptions options, HashSet<Type> seen, SortedSet<string> missing)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (!seen.Add(type) || type == typeof(object))
        {
            return;
        }

        if (type.IsEnum)
        {
            if (!options.Converters.Any(c => c.CanConvert(type)))
            {
                missing.Add(type.FullName!);
            }

            return;
        }

        var info = options.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                foreach (var property in info.Properties.Where(p => p.CustomConverter is null))
                {
                    Visit(property.PropertyType, options, seen, missing);
                }

                break;
            case JsonTypeInfoKind.Enumerable:
                Visit(info.ElementType!, options, seen, missing);
                break;
            case JsonTypeInfoKind.Dictionary:
                Visit(info.KeyType!, options, seen, missing);
                Visit(info.ElementType!, options, seen, missing);
                break;
        }
    }
}
